"""``audiofork demo``: a whole call on this machine (:mod:`.call`, the emulator calling the echo
app of :mod:`.echo_app`) and the codec tour (:mod:`.codecs`). Only the CLI imports this package;
it uses the library's public API, as a user's app would."""
