"""The emulator's OpenAPI 3.0 document, served at ``/api/v1/openapi.json``.

Written as data next to the handlers it describes (aiohttp has no schema generator we
trust); the test suite checks the live server against it with schemathesis. Paths are
written whole from the server's root: the Vobiz API under ``/api/v1`` (tag ``vobiz``) and
the emulator's own caller endpoints under ``/emulator/v1`` (tag ``emulator-only``).
"""

from __future__ import annotations

from typing import Any

from audiofork.emulator.caller import MAX_DIGITS, MAX_TALK_S
from audiofork.emulator.caller_api import EMULATOR_BASE, MAX_WAV_BYTES, WAV_TYPES
from audiofork.emulator.calls import MAX_LIVE_STREAMS_PER_CALL, MAX_STREAMS_PER_CALL
from audiofork.emulator.forks import MAX_STREAM_TIMEOUT_S
from audiofork.platform import DTMF_SPACING_MS, FRAME_MS, MAX_DTMF_SPACING_MS, TALK_MODES
from audiofork.vobiz._params import AUDIO_TRACKS, CALLBACK_METHODS, CONTENT_TYPES

__all__ = ["LIST_LIMIT_MAX", "openapi_document"]

#: The largest ``limit`` a stream list accepts.
LIST_LIMIT_MAX = 100

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": "string", "nullable": True}
_ERROR_CODES = {
    "400": "An invalid parameter, named in `error`.",
    "401": "Missing or wrong `X-Auth-ID` / `X-Auth-Token`.",
    "404": "No such call or stream.",
    "405": "Method not allowed on this path.",
    "409": "Not possible now: the call is not in progress, no stream of it takes the "
    "action, or a queue is full; `error` says which.",
    "413": f"The WAV body is larger than {MAX_WAV_BYTES} bytes.",
}
API_BASE = "/api/v1"
_VOBIZ = ["vobiz"]
_EMULATOR_ONLY = ["emulator-only"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _responses(success: dict[str, Any], *errors: str) -> dict[str, Any]:
    out = dict(success)
    for code in errors:
        out[code] = _json(_ref("Error"), _ERROR_CODES[code])
    return out


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": _STRING,
        "description": description,
    }


_ACCOUNT = _path_param("auth_id", "The account's auth id (must match `X-Auth-ID`).")
_CALL = _path_param("call_uuid", "The call's id.")
_STREAM = _path_param("stream_id", "The stream's id.")
_NO_CONTENT = {"204": {"description": "Done; no body."}}
_MODE = {
    "type": "string",
    "enum": list(TALK_MODES),
    "default": "replace",
    "description": "`replace`: said instead of the caller audio, which runs on muted; "
    "`mix`: mixed over it.",
}


_STREAM_FIELDS: dict[str, Any] = {
    "api_id": _STRING,
    "stream_id": _STRING,
    "call_uuid": _STRING,
    "account_id": _STRING,
    "service_url": _STRING,
    "audio_track": {"type": "string", "enum": list(AUDIO_TRACKS)},
    "bidirectional": {"type": "boolean"},
    "content_type": {"type": "string", "enum": list(CONTENT_TYPES)},
    "sampling_rate": {"type": "integer", "enum": [8000, 16000, 24000]},
    "stream_timeout": {"type": "integer", "minimum": 1, "maximum": MAX_STREAM_TIMEOUT_S},
    "status_callback_url": _NULLABLE_STRING,
    "status_callback_method": {"type": "string", "enum": list(CALLBACK_METHODS)},
    "status": {"type": "string", "enum": ["in-progress", "completed", "failed"]},
    "created_at": _STRING,
    "start_time": _STRING,
    "end_time": _NULLABLE_STRING,
    "bill_duration": {"type": "integer", "minimum": 0},
    "rounded_bill_duration": {"type": "integer", "minimum": 0, "multipleOf": 60},
    "billed_amount": {"type": "string", "pattern": r"^[0-9]+\.[0-9]{5}$"},
    "resource_uri": _STRING,
}


def _schemas() -> dict[str, Any]:
    return {
        "Error": {
            "type": "object",
            "required": ["api_id", "error"],
            "properties": {"api_id": _STRING, "error": _STRING},
        },
        "CallRequest": {
            "type": "object",
            "required": ["from", "to", "answer_url"],
            "properties": {
                "from": {"type": "string", "minLength": 1, "maxLength": 128},
                "to": {"type": "string", "minLength": 1, "maxLength": 128},
                "answer_url": {"type": "string", "format": "uri"},
                "answer_method": {"type": "string", "enum": list(CALLBACK_METHODS)},
            },
        },
        "CallFired": {
            "type": "object",
            "required": ["api_id", "message", "request_uuid", "call_uuid"],
            "properties": {
                "api_id": _STRING,
                "message": {"type": "string", "enum": ["call fired"]},
                "request_uuid": _STRING,
                "call_uuid": _STRING,
            },
        },
        "Call": {
            "type": "object",
            "required": ["api_id", "call_uuid", "call_status", "from", "to", "resource_uri"],
            "properties": {
                "api_id": _STRING,
                "call_uuid": _STRING,
                "request_uuid": _STRING,
                "from": _STRING,
                "to": _STRING,
                "direction": {"type": "string", "enum": ["outbound"]},
                "answer_url": _STRING,
                "answer_method": {"type": "string", "enum": list(CALLBACK_METHODS)},
                "call_status": {"type": "string", "enum": ["ringing", "in-progress", "completed"]},
                "hangup_cause": _NULLABLE_STRING,
                "error": {
                    "type": "string",
                    "nullable": True,
                    "minLength": 1,
                    "description": "Why the call failed (emulator only), e.g. "
                    "`answer_failed: timeout after 10 s fetching http://…`; null unless it did.",
                },
                "initiation_time": _STRING,
                "answer_time": _NULLABLE_STRING,
                "end_time": _NULLABLE_STRING,
                "duration": {"type": "integer", "minimum": 0},
                "stream_count": {"type": "integer", "minimum": 0},
                "resource_uri": _STRING,
            },
        },
        "StreamRequest": {
            "type": "object",
            "required": ["service_url"],
            "additionalProperties": False,
            "properties": {
                "service_url": {"type": "string", "description": "ws:// or wss:// URL"},
                "audio_track": {"type": "string", "enum": list(AUDIO_TRACKS)},
                "bidirectional": {"type": "boolean"},
                "content_type": {"type": "string", "enum": list(CONTENT_TYPES)},
                "stream_timeout": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_STREAM_TIMEOUT_S,
                },
                "status_callback_url": {"type": "string", "format": "uri"},
                "status_callback_method": {"type": "string", "enum": list(CALLBACK_METHODS)},
                "extra_headers": {"type": "string", "maxLength": 512},
            },
        },
        "StreamStarted": {
            "type": "object",
            "required": ["api_id", "message", "stream_id"],
            "properties": {
                "api_id": _STRING,
                "message": {"type": "string", "enum": ["audio streaming started"]},
                "stream_id": _STRING,
            },
        },
        "Stream": {
            "type": "object",
            "required": list(_STREAM_FIELDS),
            "properties": _STREAM_FIELDS,
        },
        "DtmfRequest": {
            "type": "object",
            "required": ["digits"],
            "properties": {
                "digits": {
                    "type": "string",
                    "pattern": "^[0-9*#A-D]+$",
                    "minLength": 1,
                    "maxLength": MAX_DIGITS,
                },
                "spacing_ms": {
                    "type": "integer",
                    "minimum": FRAME_MS,
                    "maximum": MAX_DTMF_SPACING_MS,
                    "default": DTMF_SPACING_MS,
                    "description": "Time from one key to the next, rounded up to whole 20 ms "
                    "frames; the first key leaves at once.",
                },
            },
        },
        "DtmfSent": {
            "type": "object",
            "required": ["api_id", "message", "digits", "stream_ids"],
            "properties": {
                "api_id": _STRING,
                "message": {"type": "string", "enum": ["digits sent"]},
                "digits": _STRING,
                "stream_ids": {"type": "array", "items": _STRING, "minItems": 1},
            },
        },
        "SpeakRequest": {
            "type": "object",
            "properties": {
                "audio": {
                    "type": "string",
                    "pattern": r"^(speech|silence|tone(:[0-9.]+)?)$",
                    "default": "speech",
                    "description": "The bundled speech sample, silence, or a tone (440 Hz, "
                    "or the Hz given); a tone or silence needs `seconds`.",
                },
                "seconds": {
                    "type": "number",
                    "exclusiveMinimum": True,
                    "minimum": 0,
                    "maximum": MAX_TALK_S,
                    "description": "How long a tone or silence lasts; a recording is cut to "
                    "its first `seconds`.",
                },
                "mode": _MODE,
            },
        },
        "Speaking": {
            "type": "object",
            "required": ["api_id", "message", "stream_ids", "duration_ms"],
            "properties": {
                "api_id": _STRING,
                "message": {"type": "string", "enum": ["the caller is speaking"]},
                "stream_ids": {"type": "array", "items": _STRING, "minItems": 1},
                "duration_ms": {"type": "number", "exclusiveMinimum": True, "minimum": 0},
            },
        },
        "StreamList": {
            "type": "object",
            "required": ["api_id", "meta", "objects"],
            "properties": {
                "api_id": _STRING,
                "meta": {
                    "type": "object",
                    "required": ["limit", "offset", "total_count", "next", "previous"],
                    "properties": {
                        "limit": {"type": "integer", "minimum": 1},
                        "offset": {"type": "integer", "minimum": 0},
                        "total_count": {"type": "integer", "minimum": 0},
                        "next": _NULLABLE_STRING,
                        "previous": _NULLABLE_STRING,
                    },
                },
                "objects": {"type": "array", "items": _ref("Stream")},
            },
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.0 description of every API operation the emulator serves."""
    call_path = API_BASE + "/Account/{auth_id}/Call/{call_uuid}/"
    streams_path = call_path + "Stream/"
    list_params = [
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": LIST_LIMIT_MAX, "default": 20},
        },
        {
            "name": "offset",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 0, "default": 0},
        },
    ]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "audiofork Vobiz emulator",
            "version": "1",
            "description": "Calls and the Stream API of the Vobiz platform, run locally "
            "(under /api/v1), and the emulator's own caller actions (under /emulator/v1, "
            "tagged emulator-only: the platform has no such API).",
        },
        "servers": [{"url": "/"}],
        "security": [{"AuthId": [], "AuthToken": []}],
        "tags": [
            {"name": "vobiz", "description": "The Vobiz API, as the platform serves it."},
            {
                "name": "emulator-only",
                "description": "What the caller does on a live call: keys, speech, hang-up. "
                "Not part of the Vobiz API.",
            },
        ],
        "paths": {
            **_caller_paths(),
            API_BASE + "/Account/{auth_id}/Call/": {
                "parameters": [_ACCOUNT],
                "post": {
                    "tags": _VOBIZ,
                    "summary": "Place a call; its answer URL is fetched and its XML executed.",
                    "operationId": "createCall",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("CallRequest")}},
                    },
                    "responses": _responses(
                        {"201": _json(_ref("CallFired"), "The call was fired.")}, "400", "401"
                    ),
                },
            },
            call_path: {
                "parameters": [_ACCOUNT, _CALL],
                "get": {
                    "tags": _VOBIZ,
                    "summary": "One call.",
                    "operationId": "getCall",
                    "responses": _responses(
                        {"200": _json(_ref("Call"), "The call.")}, "401", "404"
                    ),
                },
                "delete": {
                    "tags": _VOBIZ,
                    "summary": "Hang up the call, ending its streams.",
                    "operationId": "hangupCall",
                    "responses": _responses(_NO_CONTENT, "401", "404"),
                },
            },
            streams_path: {
                "parameters": [_ACCOUNT, _CALL],
                "post": {
                    "tags": _VOBIZ,
                    "summary": "Start a stream on a live call.",
                    "description": (
                        f"A call runs at most {MAX_LIVE_STREAMS_PER_CALL} streams at once and "
                        f"starts at most {MAX_STREAMS_PER_CALL} in its life; a start past "
                        "either is a 400."
                    ),
                    "operationId": "startStream",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("StreamRequest")}},
                    },
                    "responses": _responses(
                        {"202": _json(_ref("StreamStarted"), "The stream is starting.")},
                        "400",
                        "401",
                        "404",
                    ),
                },
                "get": {
                    "tags": _VOBIZ,
                    "summary": "The call's streams, active and ended.",
                    "operationId": "listStreams",
                    "parameters": list_params,
                    "responses": _responses(
                        {"200": _json(_ref("StreamList"), "One page of streams.")},
                        "400",
                        "401",
                        "404",
                    ),
                },
                "delete": {
                    "tags": _VOBIZ,
                    "summary": "Stop every stream of the call.",
                    "operationId": "stopStreams",
                    "responses": _responses(_NO_CONTENT, "401", "404"),
                },
            },
            streams_path + "{stream_id}/": {
                "parameters": [_ACCOUNT, _CALL, _STREAM],
                "get": {
                    "tags": _VOBIZ,
                    "summary": "One stream.",
                    "operationId": "getStream",
                    "responses": _responses(
                        {"200": _json(_ref("Stream"), "The stream.")}, "401", "404"
                    ),
                },
                "delete": {
                    "tags": _VOBIZ,
                    "summary": "Stop one stream.",
                    "operationId": "stopStream",
                    "responses": _responses(_NO_CONTENT, "401", "404"),
                },
            },
        },
        "components": {
            "securitySchemes": {
                "AuthId": {"type": "apiKey", "in": "header", "name": "X-Auth-ID"},
                "AuthToken": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
            },
            "schemas": _schemas(),
        },
    }


def _caller_paths() -> dict[str, Any]:
    call = EMULATOR_BASE + "/Account/{auth_id}/Call/{call_uuid}/"
    wav = {"type": "string", "format": "binary"}
    return {
        call + "DTMF/": {
            "parameters": [_ACCOUNT, _CALL],
            "post": {
                "tags": _EMULATOR_ONLY,
                "summary": "The caller presses keys: a `dtmf` message per key on every "
                "connected stream of the call that forks the caller's track.",
                "operationId": "sendDtmf",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("DtmfRequest")}},
                },
                "responses": _responses(
                    {"202": _json(_ref("DtmfSent"), "The first key is sent, the rest follow.")},
                    "400",
                    "401",
                    "404",
                    "409",
                ),
            },
        },
        call + "Speak/": {
            "parameters": [_ACCOUNT, _CALL],
            "post": {
                "tags": _EMULATOR_ONLY,
                "summary": "The caller talks, from the next frame on, on every live stream "
                "of the call that forks the caller's track (talk-over, for barge-in).",
                "description": "A named clip as JSON, or a mono 16-bit PCM WAV file as the "
                f"body (any rate the resampler takes, at most {MAX_WAV_BYTES} bytes) with "
                "`seconds` and `mode` in the query. Talk queues behind talk already waiting, "
                f"at most {MAX_TALK_S:g} s per stream.",
                "operationId": "speak",
                "parameters": [
                    {
                        "name": "mode",
                        "in": "query",
                        "required": False,
                        "schema": _MODE,
                        "description": "With a WAV body.",
                    },
                    {
                        "name": "seconds",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "number", "minimum": 0, "maximum": MAX_TALK_S},
                        "description": "With a WAV body: play only its first `seconds`.",
                    },
                ],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {"schema": _ref("SpeakRequest")},
                        **{kind: {"schema": wav} for kind in WAV_TYPES[:1]},
                    },
                },
                "responses": _responses(
                    {"202": _json(_ref("Speaking"), "The caller speaks from the next frame.")},
                    "400",
                    "401",
                    "404",
                    "409",
                    "413",
                ),
            },
            "delete": {
                "tags": _EMULATOR_ONLY,
                "summary": "The caller stops talking: what it was still to say is dropped.",
                "operationId": "stopSpeaking",
                "responses": _responses(_NO_CONTENT, "401", "404", "409"),
            },
        },
        call + "Hangup/": {
            "parameters": [_ACCOUNT, _CALL],
            "post": {
                "tags": _EMULATOR_ONLY,
                "summary": "The caller hangs up: every stream gets `stop`, then the call "
                "ends with the cause `caller_hangup` (idempotent).",
                "operationId": "callerHangup",
                "responses": _responses(_NO_CONTENT, "401", "404"),
            },
        },
    }
