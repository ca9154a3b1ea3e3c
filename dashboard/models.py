"""The demo domain: a shop's products, customers and orders (amounts in EUR cents)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Product(models.Model):
    name = models.CharField(max_length=100, unique=True)
    category = models.CharField(max_length=50)
    price_cents = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    name = models.CharField(max_length=100)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code")

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    class Status(models.TextChoices):
        PAID = "paid", _("Paid")
        REFUNDED = "refunded", _("Refunded")

    created_at = models.DateTimeField(db_index=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="orders")
    country = models.CharField(max_length=2, help_text="Copied from the customer for fast grouping")
    quantity = models.PositiveSmallIntegerField(default=1)
    amount_cents = models.PositiveIntegerField(help_text="Order total in EUR cents")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PAID)

    class Meta:
        indexes = [models.Index(fields=["created_at", "status"])]
        ordering = ["-created_at"]
        permissions = [("view_revenue", "Can see revenue figures")]

    def __str__(self) -> str:
        return f"Order {self.pk}"
