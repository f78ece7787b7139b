"""VobizXML: the ``<Stream>`` element, ``<Response>`` documents, and a safe parser.

Build an answer::

    Response([StreamElement("wss://app.example/ws", bidirectional=True)]).to_xml()

Parse one (the emulator's side, or a check of what an app returns) with
:func:`parse_response`. Every ``<Stream>`` rule is enforced when a :class:`StreamElement` is
constructed, so an invalid element cannot exist, whether built or parsed. A parsed
document is bounded: at most :data:`MAX_XML_BYTES` long and :data:`MAX_XML_DEPTH` elements
deep, so hostile input cannot exhaust memory or the stack of the recursive element tree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import KW_ONLY, dataclass, field, fields
from typing import Any
from xml.parsers import expat
from xml.sax.saxutils import escape

from audiofork.errors import ValidationError
from audiofork.vobiz import _params
from audiofork.vobiz._params import AudioTrack, CallbackMethod

__all__ = [
    "MAX_XML_BYTES",
    "MAX_XML_DEPTH",
    "Element",
    "Response",
    "ResponseElement",
    "StreamElement",
    "parse_response",
]

#: The longest document :func:`parse_response` reads (bytes, or characters for ``str``).
MAX_XML_BYTES = 1024 * 1024
#: The deepest element nesting :func:`parse_response` reads, ``<Response>`` included.
MAX_XML_DEPTH = 32

_ATTRIBUTE_ESCAPES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


_NAME = re.compile(r"[^\W\d][\w.:-]*")
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _check_name(what: str, name: object) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValidationError(f"{what} must be an XML name, got {name!r}")


def _check_chars(what: str, text: object) -> None:
    if not isinstance(text, str):
        raise ValidationError(f"{what} must be a string, got {text!r}")
    bad = _NOT_XML_CHAR.search(text)
    if bad:
        raise ValidationError(f"{what} contains {bad.group()!r}, which XML cannot carry")


def _attribute(value: str) -> str:
    return '"' + escape(value, _ATTRIBUTE_ESCAPES) + '"'


def _text(value: str) -> str:
    return escape(value, {"\r": "&#13;"})


@dataclass(frozen=True)
class StreamElement:
    """``<Stream>``: fork the call's audio to the WebSocket at ``url``.

    Field names are the snake_case forms of the XML attributes (``audio_track`` is
    ``audioTrack``). Values are validated and normalised (``"POST"``, canonical content type)
    at construction; :class:`ValidationError` names the field and the bad value. The XML's
    string forms (``"true"``, ``"60"``) are accepted for the boolean and integer fields.
    """

    url: str
    _: KW_ONLY
    bidirectional: bool = False
    audio_track: AudioTrack = "inbound"
    stream_timeout: int = 86400
    status_callback_url: str | None = None
    status_callback_method: CallbackMethod = "POST"
    content_type: str = "audio/x-l16;rate=8000"
    extra_headers: str | None = None
    keep_call_alive: bool = False
    max_retries: int = 0

    def __post_init__(self) -> None:
        values: dict[str, object] = {
            "url": _params.ws_url("url", self.url),
            "bidirectional": _params.boolean("bidirectional", self.bidirectional),
            "audio_track": _params.audio_track("audio_track", self.audio_track),
            "stream_timeout": _params.integer("stream_timeout", self.stream_timeout, 1),
            "status_callback_method": _params.callback_method(
                "status_callback_method", self.status_callback_method
            ),
            "content_type": _params.content_type("content_type", self.content_type),
            "keep_call_alive": _params.boolean("keep_call_alive", self.keep_call_alive),
            "max_retries": _params.integer(
                "max_retries", self.max_retries, 0, _params.MAX_RETRIES_LIMIT
            ),
        }
        if self.status_callback_url is not None:
            values["status_callback_url"] = _params.http_url(
                "status_callback_url", self.status_callback_url
            )
        if self.extra_headers is not None:
            values["extra_headers"] = _params.extra_headers("extra_headers", self.extra_headers)
        for name, value in values.items():
            object.__setattr__(self, name, value)
        _params.combination(self.bidirectional, self.audio_track, self.keep_call_alive)

    def xml_attributes(self) -> dict[str, str]:
        """The XML attributes that differ from the platform defaults, in document order."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "url" or value == f.default:
                continue
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            out[_XML_NAMES[f.name]] = text
        return out

    def to_xml(self) -> str:
        """The element, e.g. ``<Stream bidirectional="true">wss://…</Stream>``."""
        attrs = "".join(f" {k}={_attribute(v)}" for k, v in self.xml_attributes().items())
        return f"<Stream{attrs}>{_text(self.url)}</Stream>"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


_XML_NAMES = {f.name: _camel(f.name) for f in fields(StreamElement) if f.name != "url"}
_FIELD_NAMES = {xml: name for name, xml in _XML_NAMES.items()}


@dataclass(frozen=True)
class Element:
    """Any other VobizXML element (``<Speak>``, ``<Wait>``, …), kept as parsed.

    ``text`` is the content before the first child, ``tail`` the content after this element
    up to its next sibling, so mixed content survives a round trip.
    """

    tag: str
    attributes: Mapping[str, str] = field(default_factory=dict, hash=False)
    text: str = ""
    children: tuple[Element, ...] = ()
    tail: str = ""

    def __post_init__(self) -> None:
        _check_name("tag", self.tag)
        for name, value in self.attributes.items():
            _check_name("attribute name", name)
            _check_chars(f"attribute {name}", value)
        _check_chars("text", self.text)
        _check_chars("tail", self.tail)
        for child in self.children:
            if not isinstance(child, Element):
                raise ValidationError(f"<{self.tag}> children must be Element, got {child!r}")

    def to_xml(self) -> str:
        """The element and its children, serialised."""
        attrs = "".join(f" {k}={_attribute(v)}" for k, v in self.attributes.items())
        if not self.text and not self.children:
            return f"<{self.tag}{attrs}/>"
        inner = _text(self.text) + "".join(c.to_xml() + _text(c.tail) for c in self.children)
        return f"<{self.tag}{attrs}>{inner}</{self.tag}>"


ResponseElement = StreamElement | Element


class Response:
    """A ``<Response>`` document: the verbs the platform executes in order."""

    __slots__ = ("elements",)

    def __init__(self, elements: Iterable[ResponseElement] = ()) -> None:
        self.elements: tuple[ResponseElement, ...] = tuple(elements)
        for element in self.elements:
            if not isinstance(element, (StreamElement, Element)):
                raise ValidationError(
                    f"Response elements must be StreamElement or Element, got {element!r}"
                )

    def __iter__(self) -> Iterator[ResponseElement]:
        return iter(self.elements)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Response):
            return NotImplemented
        return self.elements == other.elements

    def __hash__(self) -> int:
        return hash(self.elements)

    def __repr__(self) -> str:
        return f"Response({list(self.elements)!r})"

    def to_xml(self) -> str:
        """The full document, XML declaration included."""
        body = "".join(f"\n  {element.to_xml()}" for element in self.elements)
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<Response>{body}\n</Response>\n'


class _Node:
    __slots__ = ("attributes", "children", "line", "tag", "tail", "text")

    def __init__(self, tag: str, attributes: dict[str, str], line: int) -> None:
        self.tag = tag
        self.attributes = attributes
        self.line = line
        self.text = ""
        self.tail = ""
        self.children: list[_Node] = []

    def freeze(self) -> Element:
        children = tuple(child.freeze() for child in self.children)
        return Element(self.tag, self.attributes, self.text, children, self.tail)


class _TreeBuilder:
    """Expat handlers collecting the ``<Response>``'s children as :class:`_Node` trees.

    Any DTD is refused, so no entity is ever declared or expanded (only XML's five
    predefined entities and character references exist).
    """

    def __init__(self, parser: expat.XMLParserType) -> None:
        self.parser = parser
        self.elements: list[ResponseElement] = []
        self.stack: list[_Node] = []

    def where(self) -> str:
        return f"line {self.parser.CurrentLineNumber}, column {self.parser.CurrentColumnNumber + 1}"

    def doctype(self, *_: object) -> None:
        raise ValidationError(f"DOCTYPE declarations are not allowed ({self.where()})")

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        if len(self.stack) >= MAX_XML_DEPTH:
            raise ValidationError(
                f"elements must nest at most {MAX_XML_DEPTH} deep, <{tag}> is deeper "
                f"({self.where()})"
            )
        node = _Node(tag, attributes, self.parser.CurrentLineNumber)
        if not self.stack:
            if tag != "Response":
                raise ValidationError(f"the root element must be <Response>, got <{tag}>")
        elif len(self.stack) > 1:
            self.stack[-1].children.append(node)
        self.stack.append(node)

    def end(self, _tag: str) -> None:
        node = self.stack.pop()
        if len(self.stack) == 1:
            self.elements.append(_stream(node) if node.tag == "Stream" else node.freeze())

    def data(self, text: str) -> None:
        if len(self.stack) == 1:
            if text.strip():
                raise ValidationError(
                    f"<Response> may contain only elements, found text ({self.where()})"
                )
            return
        node = self.stack[-1]
        if node.children:
            node.children[-1].tail += text
        else:
            node.text += text


def _stream(node: _Node) -> StreamElement:
    where = f"<Stream> at line {node.line}"
    if node.children:
        raise ValidationError(f"{where} must contain only its URL, found <{node.children[0].tag}>")
    options: dict[str, Any] = {}
    for xml_name, text in node.attributes.items():
        name = _FIELD_NAMES.get(xml_name)
        if name is None:
            raise ValidationError(f"{where}: unknown attribute {xml_name}={text!r}")
        options[name] = text.strip()
    try:
        return StreamElement(node.text.strip(), **options)
    except ValidationError as exc:
        raise ValidationError(f"{where}: {exc}") from None


def parse_response(xml: str | bytes) -> Response:
    """Parse a VobizXML document into a :class:`Response`.

    Top-level ``<Stream>`` elements become validated :class:`StreamElement` values; any
    other element is kept as an :class:`Element`. Malformed XML, a DTD, a root other than
    ``<Response>``, an invalid ``<Stream>``, a document over :data:`MAX_XML_BYTES` or nested
    deeper than :data:`MAX_XML_DEPTH` raise :class:`ValidationError` with the line.
    """
    if len(xml) > MAX_XML_BYTES:
        raise ValidationError(f"XML must be at most {MAX_XML_BYTES} bytes, got {len(xml)}")
    parser = expat.ParserCreate()
    builder = _TreeBuilder(parser)
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = builder.doctype
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as exc:
        message = expat.ErrorString(exc.code)
        raise ValidationError(
            f"malformed XML at line {exc.lineno}, column {exc.offset + 1}: {message}"
        ) from None
    return Response(builder.elements)
