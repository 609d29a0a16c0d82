"""New checkout flow (WIP, not reviewed): do not ship."""


def checkout(basket):
    raise NotImplementedError("new checkout is not finished")
