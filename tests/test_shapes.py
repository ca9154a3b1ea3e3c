import re

import pytest

from widgets.sources.shapes import BOOLEAN, NUMBER, STRING, ShapeError, array, obj


@pytest.mark.parametrize(
    ("shape", "value"),
    [
        (STRING, "EUR"),
        (NUMBER, 3),
        (NUMBER, 1.08),
        (BOOLEAN, False),
        (obj(), {}),
        (array(), []),
    ],
)
def test_value_of_the_expected_kind_passes(shape, value):
    shape.check(value)


@pytest.mark.parametrize(
    ("shape", "value", "message"),
    [
        (STRING, 1, "$ should be string, got number"),
        (NUMBER, "1", "$ should be number, got string"),
        (NUMBER, None, "$ should be number, got null"),
        (obj(), [], "$ should be object, got array"),
        (array(), {}, "$ should be array, got object"),
    ],
)
def test_value_of_another_kind_is_rejected_with_both_kinds(shape, value, message):
    with pytest.raises(ShapeError, match=f"^{re.escape(message)}$"):
        shape.check(value)


@pytest.mark.parametrize("value", [True, False])
def test_boolean_is_not_a_number(value):
    with pytest.raises(ShapeError, match="should be number, got boolean"):
        NUMBER.check(value)


def test_number_is_not_a_boolean():
    with pytest.raises(ShapeError, match="should be boolean, got number"):
        BOOLEAN.check(1)


def test_nested_field_error_names_its_path():
    shape = obj({"rates": obj({"USD": NUMBER})})
    with pytest.raises(ShapeError, match=r"^\$\.rates\.USD should be number, got string$"):
        shape.check({"rates": {"USD": "1.08"}})


def test_missing_key_is_named_with_its_parent_path():
    shape = obj({"page": obj({"name": STRING})})
    with pytest.raises(ShapeError, match=r"^\$\.page is missing 'name'$"):
        shape.check({"page": {}})


def test_object_values_shape_checks_every_value():
    shape = obj(values=NUMBER)
    shape.check({"USD": 1.08, "GBP": 0.85})
    with pytest.raises(ShapeError, match=r"^\$\.GBP should be number, got null$"):
        shape.check({"USD": 1.08, "GBP": None})


def test_extra_keys_are_allowed():
    obj({"name": STRING}).check({"name": "API", "status": "operational"})


def test_array_items_error_names_the_index():
    shape = array(obj({"name": STRING}))
    with pytest.raises(ShapeError, match=r"^\$\[1\]\.name should be string, got number$"):
        shape.check([{"name": "API"}, {"name": 7}])


def test_array_without_items_shape_accepts_any_items():
    array().check([1, "two", None])
