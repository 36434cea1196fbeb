"""A cooking companion: it looks recipes up while you are still asking, and keeps your kitchen timers.

Ask "what's the recipe for pancakes?": the recipe tool's trigger matches your words as you say them, so the
lookup runs before you have finished and the answer comes at once. Then "remind me in 2 minutes to flip the
pancake", "every 30 seconds say stir the risotto", "stop the timers": a timer speaks when it is due, even in
the middle of your sentence (at your next pause), and the terminal bell rings.

Run it: ``python examples/cooking_companion.py`` (type; Enter ends your turn, Ctrl-D quits).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from microturn import Agent, ChatModel, TimerFired, tool

RECIPES = {
    "pancakes": "Pancakes: whisk 2 eggs, 200 grams of flour and 300 millilitres of milk; rest it 10 minutes; "
    "fry a ladle at a time, 2 minutes a side.",
    "risotto": "Risotto: fry an onion, toast 300 grams of rice, then add hot stock a ladle at a time, "
    "stirring, for 18 minutes; finish with butter and parmesan.",
    "omelette": "Omelette: beat 3 eggs with salt, pour into a hot buttered pan, stir for 30 seconds, "
    "then fold it and serve.",
}

INSTRUCTIONS = (
    "You are a calm cooking companion. Answer in one or two short sentences. Use the recipe you are given "
    "rather than your memory, and offer to set a timer for each timed step."
)


@tool(scopes=["recipes:read"], trigger=rf"recipe for (?P<dish>{'|'.join(RECIPES)})")
def recipe(dish: str) -> str:
    """Look up a recipe: what goes in, and each step with its time."""
    return RECIPES.get(dish, f"I have no recipe for {dish}; I know {', '.join(RECIPES)}.")


def ring_the_bell(event: TimerFired) -> None:
    """The terminal bell, for a cook who has stepped away from the screen."""
    sys.stdout.write("\a")
    sys.stdout.flush()


def build_agent(
    model: str | ChatModel = "embedded", *, on_timer: Callable[[TimerFired], None] = ring_the_bell
) -> Agent:
    """The companion; ``on_timer`` is called with every timer as it goes off (a hook: beside the conversation)."""
    agent = Agent(INSTRUCTIONS, model=model, tools=[recipe], builtin_tools=False, scopes=["recipes:read"])
    agent.on(TimerFired)(on_timer)
    return agent


if __name__ == "__main__":
    build_agent().run_console()
