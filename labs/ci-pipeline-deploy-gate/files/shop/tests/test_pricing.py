import unittest
from decimal import Decimal

from app.pricing import basket_total, line_total, money


class PricingTest(unittest.TestCase):
    def test_money_rounds_half_up(self):
        self.assertEqual(money("2.675"), Decimal("2.68"))

    def test_line_total(self):
        self.assertEqual(line_total("19.99", 3), Decimal("59.97"))

    def test_basket_without_discount(self):
        self.assertEqual(basket_total([("19.99", 3), ("0.50", 2)]), Decimal("60.97"))

    def test_discount_rounds_half_up(self):
        # 15% of 59.97 is 8.9955: the customer saves 9.00
        self.assertEqual(basket_total([("19.99", 3)], 15), Decimal("50.97"))


if __name__ == "__main__":
    unittest.main()
