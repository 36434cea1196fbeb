"""A support agent with an approval-gated refund and a background order lookup.

"refund order 42" is asked about first ("May I refund...?") and runs only on a clear yes; "can you look up
order 42" goes to the background lane, whose answer is woven in at the next pause. Run: python examples/support_agent.py
"""

from microturn import Agent, Risk, tool


@tool(risk=Risk.HIGH, scopes=["orders:write"], trigger=r"refund order (?P<order>\d+)")
def refund(order: str) -> str:
    """Refund an order in full."""
    return f"Order {order} is refunded: the money is on its way back."


@tool(scopes=["orders:read"])
def look_up_order(order: str) -> str:
    """Look up an order's status and delivery date."""
    return f"Order {order} shipped on Monday and arrives on Thursday."


def build_agent(model: str = "embedded") -> Agent:
    tools = [refund, look_up_order]
    scopes = ["orders:read", "orders:write"]
    return Agent("You are Acme's support agent.", model=model, tools=tools, builtin_tools=False, scopes=scopes)


if __name__ == "__main__":
    build_agent().run_console()
