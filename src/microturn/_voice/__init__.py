"""Voice: offline speech engines behind small protocols, and audio through the session (see docs/voice.md).

The engine modules (``vad``, ``stt``, ``tts``, ``smart_turn``) import their libraries only when used, so
everything else here works without the ``voice`` extra; ``engines.load_engines()`` builds the embedded stack and
``engines.fake_engines()`` the deterministic fakes.
"""
