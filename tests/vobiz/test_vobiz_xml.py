"""VobizXML: the <Stream> element's rules, Response documents, and the safe parser."""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audiofork import ValidationError
from audiofork.vobiz import Element, Response, StreamElement, parse_response
from audiofork.vobiz.xml import MAX_XML_BYTES, MAX_XML_DEPTH
from support.hostile_integers import HUGE_DIGITS, INTEGER_TEXT

PROTOCOL_EXAMPLE = """\
<Response>
  <Stream bidirectional="true" keepCallAlive="true"
          contentType="audio/x-l16;rate=16000"
          statusCallbackUrl="https://app.example/stream-status">wss://app.example/ws</Stream>
</Response>"""

WS = "wss://app.example/ws"


def test_protocol_example_parses() -> None:
    response = parse_response(PROTOCOL_EXAMPLE)
    assert response.elements == (
        StreamElement(
            WS,
            bidirectional=True,
            keep_call_alive=True,
            content_type="audio/x-l16;rate=16000",
            status_callback_url="https://app.example/stream-status",
        ),
    )


def test_defaults_are_the_platform_defaults() -> None:
    element = StreamElement(WS)
    assert (element.bidirectional, element.audio_track, element.stream_timeout) == (
        False,
        "inbound",
        86400,
    )
    assert (element.status_callback_url, element.status_callback_method) == (None, "POST")
    assert (element.content_type, element.extra_headers) == ("audio/x-l16;rate=8000", None)
    assert (element.keep_call_alive, element.max_retries) == (False, 0)
    assert element.to_xml() == f"<Stream>{WS}</Stream>"


def test_to_xml_uses_camel_case_attributes() -> None:
    element = StreamElement(
        WS,
        audio_track="both",
        stream_timeout=60,
        status_callback_url="https://app.example/status",
        status_callback_method="GET",
        content_type="audio/x-mulaw;rate=8000",
        extra_headers="user=42,plan_id=gold",
        max_retries=3,
    )
    assert element.to_xml() == (
        '<Stream audioTrack="both" streamTimeout="60" '
        'statusCallbackUrl="https://app.example/status" statusCallbackMethod="GET" '
        'contentType="audio/x-mulaw;rate=8000" extraHeaders="user=42,plan_id=gold" '
        f'maxRetries="3">{WS}</Stream>'
    )
    bidirectional = StreamElement(WS, bidirectional=True, keep_call_alive=True)
    assert bidirectional.to_xml() == (
        f'<Stream bidirectional="true" keepCallAlive="true">{WS}</Stream>'
    )


def test_to_xml_escapes_text_and_attributes() -> None:
    element = StreamElement(
        "wss://app.example/ws?a=1&b=<2>",
        status_callback_url='https://app.example/s?x="1"&y=2',
    )
    assert element.to_xml() == (
        '<Stream statusCallbackUrl="https://app.example/s?x=&quot;1&quot;&amp;y=2">'
        "wss://app.example/ws?a=1&amp;b=&lt;2&gt;</Stream>"
    )
    assert parse_response(Response([element]).to_xml()).elements == (element,)


def test_response_document() -> None:
    response = Response([StreamElement(WS), Element("Wait", {"length": "5"})])
    assert response.to_xml() == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<Response>\n"
        f"  <Stream>{WS}</Stream>\n"
        '  <Wait length="5"/>\n'
        "</Response>\n"
    )
    assert Response().to_xml().endswith("<Response>\n</Response>\n")
    assert list(response) == list(response.elements)
    assert parse_response(response.to_xml()) == response
    assert parse_response(response.to_xml().encode()) == response


def test_response_rejects_foreign_elements() -> None:
    with pytest.raises(ValidationError, match="StreamElement or Element"):
        Response(["<Stream/>"])  # type: ignore[list-item]


def test_other_elements_are_kept_as_parsed() -> None:
    doc = (
        '<Response><Speak voice="WOMAN" loop="2">Hello <b x="1">there</b> &amp; bye</Speak>'
        "<Hangup/></Response>"
    )
    speak, hangup = parse_response(doc).elements
    assert speak == Element(
        "Speak",
        {"voice": "WOMAN", "loop": "2"},
        "Hello ",
        (Element("b", {"x": "1"}, "there", tail=" & bye"),),
    )
    assert hangup == Element("Hangup")
    assert isinstance(speak, Element)
    assert speak.to_xml() == (
        '<Speak voice="WOMAN" loop="2">Hello <b x="1">there</b> &amp; bye</Speak>'
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tag": "1x"}, "tag must be an XML name"),
        ({"tag": "a b"}, "tag must be an XML name"),
        ({"attributes": {"x y": "1"}}, "attribute name"),
        ({"attributes": {"x": "\x00"}}, "attribute x contains"),
        ({"text": "bell\x07"}, "text contains"),
        ({"tail": "\ufffe"}, "tail contains"),
        ({"children": ("<b/>",)}, "children must be Element"),
    ],
)
def test_elements_that_xml_cannot_carry(kwargs: dict[str, Any], message: str) -> None:
    options: dict[str, Any] = {"tag": "Speak", **kwargs}
    with pytest.raises(ValidationError, match=message):
        Element(**options)


def test_nested_stream_stays_generic() -> None:
    (wrapper,) = parse_response("<Response><X><Stream>not a url</Stream></X></Response>").elements
    assert wrapper == Element("X", children=(Element("Stream", text="not a url"),))


def test_parse_is_liberal_about_case_and_whitespace() -> None:
    doc = (
        '<Response><Stream bidirectional="True" statusCallbackMethod="get" '
        'contentType="AUDIO/X-L16; rate=16000" streamTimeout=" 60 ">\n  wss://a.example/ws\n'
        "</Stream></Response>"
    )
    (element,) = parse_response(doc).elements
    assert element == StreamElement(
        "wss://a.example/ws",
        bidirectional=True,
        status_callback_method="GET",
        content_type="audio/x-l16;rate=16000",
        stream_timeout=60,
    )


# --- every rule, accepted and rejected at its boundary -------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"url": "ws://localhost:8080/ws"},
        {"url": "wss://app.example/ws?token=abc"},
        {"url": "WSS://APP.EXAMPLE/ws"},
        {"audio_track": "outbound"},
        {"audio_track": "both"},
        {"bidirectional": True, "audio_track": "inbound"},
        {"bidirectional": True, "keep_call_alive": True},
        {"stream_timeout": 1},
        {"status_callback_url": "http://localhost/cb"},
        {"status_callback_method": "GET"},
        {"content_type": "audio/x-l16;rate=8000"},
        {"content_type": "audio/x-l16;rate=16000"},
        {"content_type": "audio/x-l16;rate=24000"},
        {"content_type": "audio/x-mulaw;rate=8000"},
        {"extra_headers": "a=b"},
        {"extra_headers": "test1=12,test2=123"},
        {"extra_headers": "call_id=abc_1,Plan=Gold"},
        {"extra_headers": "k=" + "v" * 510},
        {"max_retries": 0},
        {"max_retries": 10},
    ],
)
def test_accepted(kwargs: dict[str, Any]) -> None:
    options = dict(kwargs)
    element = StreamElement(options.pop("url", WS), **options)
    assert parse_response(Response([element]).to_xml()).elements == (element,)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"url": "https://app.example/ws"}, "url"),
        ({"url": "wss://"}, "url"),
        ({"url": "wss://app.example/a b"}, "url"),
        ({"url": "wss://app.example:99999/ws"}, "url"),
        ({"url": 42}, "url"),
        ({"audio_track": "all"}, "audio_track"),
        ({"bidirectional": True, "audio_track": "both"}, "audio_track"),
        ({"bidirectional": True, "audio_track": "outbound"}, "audio_track"),
        ({"bidirectional": "yes"}, "bidirectional"),
        ({"keep_call_alive": True}, "keep_call_alive"),
        ({"stream_timeout": 0}, "stream_timeout"),
        ({"stream_timeout": -1}, "stream_timeout"),
        ({"stream_timeout": 1.5}, "stream_timeout"),
        ({"stream_timeout": True}, "stream_timeout"),
        ({"status_callback_url": "ftp://app.example/cb"}, "status_callback_url"),
        ({"status_callback_method": "PUT"}, "status_callback_method"),
        ({"content_type": "audio/x-l16;rate=44100"}, "content_type"),
        ({"content_type": "audio/x-l16"}, "content_type"),
        ({"content_type": "audio/x-alaw;rate=8000"}, "content_type"),
        ({"content_type": "audio/x-mulaw;rate=16000"}, "content_type"),
        ({"extra_headers": ""}, "extra_headers"),
        ({"extra_headers": "a=b;c=d"}, "extra_headers"),
        ({"extra_headers": "a=b,"}, "extra_headers"),
        ({"extra_headers": "=b"}, "extra_headers"),
        ({"extra_headers": "a="}, "extra_headers"),
        ({"extra_headers": "a=b c"}, "extra_headers"),
        ({"extra_headers": "a=b-c"}, "extra_headers"),
        ({"extra_headers": "é=1"}, "extra_headers"),
        ({"extra_headers": "k=" + "v" * 511}, "extra_headers"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": 11}, "max_retries"),
    ],
)
def test_rejected(kwargs: dict[str, Any], field: str) -> None:
    options = dict(kwargs)
    with pytest.raises(ValidationError, match=field) as info:
        StreamElement(options.pop("url", WS), **options)
    assert isinstance(info.value, ValueError)


def test_extra_headers_boundary_is_512_bytes() -> None:
    at_limit = "k=" + "v" * 510
    assert len(at_limit.encode()) == 512
    assert StreamElement(WS, extra_headers=at_limit).extra_headers == at_limit
    with pytest.raises(ValidationError, match="at most 512 bytes, got 513 bytes"):
        StreamElement(WS, extra_headers=at_limit + "v")


def test_values_are_normalised() -> None:
    element = StreamElement(
        WS,
        audio_track="Both",  # type: ignore[arg-type]
        status_callback_method="post",  # type: ignore[arg-type]
        content_type="audio/x-mulaw",
    )
    assert element.audio_track == "both"
    assert element.status_callback_method == "POST"
    assert element.content_type == "audio/x-mulaw;rate=8000"


def test_frozen() -> None:
    element = StreamElement(WS)
    with pytest.raises(AttributeError):
        element.url = "wss://other.example/"  # type: ignore[misc]


# --- parser errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("<Response>\n  <Stream>wss://a.example/ws</Strem>\n</Response>", "line 2, column"),
        ("<Response>", "line 1, column 11: no element found"),
        ("", "no element found"),
        ("<Response><x>&nope;</x></Response>", "undefined entity"),
        ("<Foo/>", "root element must be <Response>, got <Foo>"),
        ("<Response>hello</Response>", "only elements"),
        ("<Response><Stream><x/></Stream></Response>", "only its URL"),
        ('<Response>\n<Stream bogus="1">wss://a.example/</Stream></Response>', "line 2.*bogus"),
        (
            '<Response>\n\n<Stream streamTimeout="0">wss://a.example/</Stream></Response>',
            "line 3.*stream_timeout",
        ),
        (
            '<Response><Stream audioTrack="both" bidirectional="true">wss://a/</Stream><x>',
            "line 1: audio_track must be 'inbound' when bidirectional",
        ),
        ("<Response><Stream></Stream></Response>", "url"),
    ],
)
def test_parse_errors(doc: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_response(doc)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Response><Speak>&lol3;</Speak></Response>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Response><Speak>&xxe;</Speak></Response>"""


@pytest.mark.parametrize("doc", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entities_are_never_expanded(doc: str) -> None:
    with pytest.raises(ValidationError, match=r"DOCTYPE declarations are not allowed.*line 2"):
        parse_response(doc)


def nested(depth: int) -> str:
    """A <Response> whose first child holds elements ``depth`` deep, <Response> included."""
    inner = depth - 1
    return "<Response>" + "<W>" * inner + "</W>" * inner + "</Response>"


def test_nesting_up_to_the_limit_parses() -> None:
    (element,) = parse_response(nested(MAX_XML_DEPTH))
    depth = 1
    while isinstance(element, Element) and element.children:
        (element,) = element.children
        depth += 1
    assert depth == MAX_XML_DEPTH - 1


@pytest.mark.parametrize("depth", [MAX_XML_DEPTH + 1, 100_000])
def test_deeper_nesting_is_refused_before_the_tree_is_built(depth: int) -> None:
    with pytest.raises(ValidationError, match=f"nest at most {MAX_XML_DEPTH} deep.*line 1"):
        parse_response(nested(depth))


@pytest.mark.parametrize("kind", [str, bytes])
def test_documents_over_the_size_limit_are_refused(kind: type[str] | type[bytes]) -> None:
    speech = "x" * MAX_XML_BYTES
    doc = f"<Response><Speak>{speech}</Speak></Response>"
    with pytest.raises(ValidationError, match=f"at most {MAX_XML_BYTES} bytes"):
        parse_response(doc if kind is str else doc.encode())


# --- build -> parse round trip ---------------------------------------------------------------

# URL characters: anything printable, and more often the ones XML must escape.
_URL_CHARS = st.characters(codec="utf-8", exclude_categories=["C", "Z"]) | st.sampled_from(
    "&<>\"'%=?#;/"
)
# Every character XML 1.0 allows, including the ones that need escaping.
_XML_TEXT = st.text(
    st.characters(codec="utf-8", exclude_characters="\ufffe\uffff").filter(
        lambda c: c in "\t\n\r" or ord(c) >= 0x20
    )
)
_NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,8}", fullmatch=True)


@st.composite
def stream_elements(draw: st.DrawFn) -> StreamElement:
    bidirectional = draw(st.booleans())
    return StreamElement(
        draw(st.sampled_from(["ws", "wss"])) + "://app.example/" + draw(st.text(_URL_CHARS)),
        bidirectional=bidirectional,
        audio_track="inbound" if bidirectional else draw(st.sampled_from(["inbound", "both"])),
        stream_timeout=draw(st.integers(1, 10**9)),
        status_callback_url=draw(
            st.none() | st.text(_URL_CHARS).map(lambda p: "https://cb.example/" + p)
        ),
        status_callback_method=draw(st.sampled_from(["GET", "POST"])),
        content_type=draw(st.sampled_from(["audio/x-l16;rate=16000", "audio/x-mulaw;rate=8000"])),
        extra_headers=draw(
            st.none()
            | st.lists(
                st.tuples(
                    st.from_regex(r"[A-Za-z0-9_]{1,10}", fullmatch=True),
                    st.from_regex(r"[A-Za-z0-9_]{1,10}", fullmatch=True),
                ),
                min_size=1,
                max_size=10,
            ).map(lambda pairs: ",".join(f"{k}={v}" for k, v in pairs))
        ),
        keep_call_alive=bidirectional and draw(st.booleans()),
        max_retries=draw(st.integers(0, 10)),
    )


def elements(depth: int = 2) -> st.SearchStrategy[Element]:
    children = st.lists(elements(depth - 1), max_size=3) if depth else st.just([])
    return st.builds(
        Element,
        _NAMES,
        st.dictionaries(_NAMES, _XML_TEXT, max_size=3),
        _XML_TEXT,
        children.map(tuple),
        _XML_TEXT,
    )


# At the top level a generic element is not named Stream (that parses as a StreamElement)
# and has no tail (whitespace between verbs is insignificant).
_TOP_LEVEL = elements().map(lambda e: Element(e.tag + "x", e.attributes, e.text, e.children))


@given(st.lists(stream_elements() | _TOP_LEVEL, max_size=4))
def test_build_parse_round_trip(items: list[StreamElement | Element]) -> None:
    response = Response(items)
    assert parse_response(response.to_xml()) == response
    assert parse_response(response.to_xml().encode("utf-8")) == response


# --- integers as a hostile answer URL writes them ---------------------------------------------

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_INTEGER_ATTRIBUTES = {"streamTimeout": "stream_timeout", "maxRetries": "max_retries"}


@pytest.mark.parametrize("attribute", sorted(_INTEGER_ATTRIBUTES))
def test_an_integer_past_pythons_digit_limit_is_a_validation_error(attribute: str) -> None:
    doc = f'<Response><Stream {attribute}="{HUGE_DIGITS}">{WS}</Stream></Response>'
    with pytest.raises(ValidationError, match=_INTEGER_ATTRIBUTES[attribute]) as info:
        parse_response(doc)
    assert len(str(info.value)) < 400  # the value is quoted cut, not whole


@given(
    st.sampled_from(sorted(_INTEGER_ATTRIBUTES)),
    INTEGER_TEXT.filter(lambda text: not _NOT_XML.search(text)),
)
def test_integer_attributes_parse_or_name_the_field(attribute: str, text: str) -> None:
    """Whatever text an integer attribute holds, the parser returns an element or raises
    ValidationError naming the field; nothing else escapes."""
    doc = f"<Response><Stream {attribute}={quoteattr(text)}>{WS}</Stream></Response>"
    try:
        (element,) = parse_response(doc)
    except ValidationError as exc:
        assert type(exc) is ValidationError
        assert _INTEGER_ATTRIBUTES[attribute] in str(exc)
    else:
        assert isinstance(element, StreamElement)
        written = re.sub(r"^([+-]?)0+(?=[0-9])", r"\1", text.strip())  # leading zeros off
        assert getattr(element, _INTEGER_ATTRIBUTES[attribute]) == int(written)
