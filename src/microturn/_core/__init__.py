"""The core vocabulary every part shares: events, actions, the clock, the codec, the config, bounds and errors
(``microturn.errors``). It imports nothing else of microturn's."""
