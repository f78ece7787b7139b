"""The TwiML subset the emulator runs in the Twilio dialect, read into the same elements as
VobizXML (the same hardened parser reads both).

- ``<Connect><Stream url=…>``: a bidirectional stream that holds the call until it ends;
- ``<Start><Stream url=… track=…>``: a one-way stream (``inbound_track``, ``outbound_track``
  or ``both_tracks``); the call goes on at once;
- ``<Parameter name=… value=…>`` inside ``<Stream>``: sent as ``start.customParameters``
  (names and values of letters, digits and underscores, as the emulator's extra headers);
- ``<Pause length=…>`` (a ``<Wait>``) and ``<Hangup>``; other verbs are skipped.

Every stream is μ-law at 8 kHz, as Twilio's are.
"""

from __future__ import annotations

from typing import cast

from audiofork.errors import ValidationError
from audiofork.vobiz._params import AudioTrack, CallbackMethod
from audiofork.vobiz.xml import Element, Response, ResponseElement, StreamElement, parse_response

__all__ = ["TWILIO_CONTENT_TYPE", "parse_twiml"]

#: The format of every Twilio stream.
TWILIO_CONTENT_TYPE = "audio/x-mulaw;rate=8000"

_TRACKS: dict[str, AudioTrack] = {
    "inbound_track": "inbound",
    "outbound_track": "outbound",
    "both_tracks": "both",
}


def parse_twiml(xml: str | bytes) -> Response:
    """A TwiML document as a :class:`~audiofork.vobiz.xml.Response` the emulator runs;
    :class:`~audiofork.errors.ValidationError` naming what is wrong."""
    elements: list[ResponseElement] = []
    for element in parse_response(xml):
        if isinstance(element, StreamElement):
            raise ValidationError("<Stream> must be inside <Connect> or <Start>")
        if element.tag in ("Connect", "Start"):
            elements.append(_stream_of(element))
        elif element.tag == "Pause":
            elements.append(Element("Wait", {"length": element.attributes.get("length", "1")}))
        else:
            elements.append(element)
    return Response(elements)


def _stream_of(verb: Element) -> StreamElement:
    streams = [child for child in verb.children if child.tag == "Stream"]
    if len(streams) != 1:
        raise ValidationError(f"<{verb.tag}> must hold one <Stream>, got {len(streams)}")
    (stream,) = streams
    attributes = stream.attributes
    url = attributes.get("url")
    if url is None:
        raise ValidationError(f"<{verb.tag}><Stream> needs a url")
    track = attributes.get("track", "inbound_track")
    if track not in _TRACKS:
        raise ValidationError(f"<Stream> track must be one of {sorted(_TRACKS)}, got {track!r}")
    parameters = []
    for child in stream.children:
        if child.tag != "Parameter":
            continue
        name, value = child.attributes.get("name"), child.attributes.get("value", "")
        if not name:
            raise ValidationError("<Parameter> needs a name")
        parameters.append(f"{name}={value}")
    connect = verb.tag == "Connect"
    return StreamElement(
        url,
        bidirectional=connect,
        audio_track=_TRACKS[track],
        content_type=TWILIO_CONTENT_TYPE,
        extra_headers=",".join(parameters) or None,
        keep_call_alive=connect,
        status_callback_url=attributes.get("statusCallback"),
        # StreamElement checks the method.
        status_callback_method=cast(CallbackMethod, attributes.get("statusCallbackMethod", "POST")),
    )
