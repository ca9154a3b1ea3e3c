"""The demo's German catalog: every marked string translated, and the committed .mo compiled from the .po.

The marked strings are read from the sources the way ``makemessages`` reads
them (Python with Babel's extractor, templates through Django's own parser),
so these tests need no gettext tools. To bring the catalog up to date, from
the project's folder (``LOCALE_PATHS`` sends templates/'s strings there too)::

    .venv/bin/python manage.py makemessages -l de --no-obsolete --add-location file \
        -i widgets -i tests -i e2e -i bench -i docs -i static -i staticfiles -i dist
    # translate what is new in dashboard/locale/de/LC_MESSAGES/django.po, then:
    cd dashboard && ../.venv/bin/python ../manage.py compilemessages -l de
"""

import gettext
from pathlib import Path

from babel.messages.extract import extract
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.template import engines
from django.templatetags.i18n import BlockTranslateNode, TranslateNode

DEMO = Path(settings.BASE_DIR) / "dashboard"
FRAMEWORK_LOCALE = Path(settings.BASE_DIR) / "widgets" / "locale"
CATALOG = DEMO / "locale" / "de" / "LC_MESSAGES"
# The project's templates whose strings live in the demo's catalog (settings.LOCALE_PATHS).
TEMPLATES = ["examples/embed.html"]


def po_catalog():
    with (CATALOG / "django.po").open("rb") as po:
        return read_po(po)


def translations(catalog):
    """``{(msgctxt, msgid): msgstr}`` without the header; plurals as tuples (a .mo reads them as lists)."""
    return {
        (message.context, as_key(message.id)): as_key(message.string) for message in catalog if message.id
    }


def as_key(text):
    return tuple(text) if isinstance(text, list | tuple) else text


def as_tuple(text):
    return tuple(text) if isinstance(text, list | tuple) else (text,)


def marked_in_python():
    for path in sorted(DEMO.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        with path.open("rb") as source:
            yield from ((context, message) for _, message, _, context in extract("python", source))


def marked_in_templates():
    for name in TEMPLATES:
        nodelist = engines["django"].engine.get_template(name).nodelist
        for node in nodelist.get_nodes_by_type(TranslateNode):
            yield None, str(node.filter_expression.var.literal)
        for node in nodelist.get_nodes_by_type(BlockTranslateNode):
            yield None, node.render_token_list(node.singular)[0]


def test_every_string_the_demo_marks_is_in_the_german_catalog_and_no_other():
    marked = {*marked_in_python(), *marked_in_templates()}
    assert len(marked) > 50
    assert set(translations(po_catalog())) == marked


def test_every_german_message_is_translated_and_none_is_fuzzy():
    catalog = po_catalog()
    untranslated = [message.id for message in catalog if message.id and not all(as_tuple(message.string))]
    assert untranslated == []
    assert [message.id for message in catalog if message.id and message.fuzzy] == []
    assert catalog.locale_identifier == "de"


def test_the_committed_mo_is_compiled_from_the_po():
    with (CATALOG / "django.mo").open("rb") as mo:
        compiled = translations(read_mo(mo))
    assert compiled == translations(po_catalog())


def test_the_demos_catalog_changes_none_of_the_frameworks_words():
    """``LOCALE_PATHS`` puts the demo's catalog first: a message both translate must read the same."""
    framework = gettext.translation("django", FRAMEWORK_LOCALE, languages=["de"], fallback=True)
    differing = {}
    for (context, msgid), msgstr in translations(po_catalog()).items():
        if isinstance(msgid, tuple):
            continue
        theirs = framework.pgettext(context, msgid) if context else framework.gettext(msgid)
        if theirs != msgid and theirs != msgstr:
            differing[msgid] = (theirs, msgstr)
    assert differing == {}, "translate these as widgets/locale does, or give them a context (pgettext)"
