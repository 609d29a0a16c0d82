"""Checkout pricing for the Acme shop: line totals, basket totals and discounts."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def line_total(price, qty: int) -> Decimal:
    return money(Decimal(str(price)) * qty)


def basket_total(lines, discount_pct=0) -> Decimal:
    """Sum of the lines, less a percentage discount rounded half-up to the cent."""
    total = sum((line_total(p, q) for p, q in lines), Decimal("0"))
    discount = Decimal(int(total * Decimal(discount_pct))) / 100
    return money(total - discount)
