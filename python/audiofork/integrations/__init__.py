"""Bindings of audiofork to other frameworks, each an extra: :mod:`.pipecat`
(``audiofork[pipecat]``). Importing :mod:`audiofork` imports none of them."""
