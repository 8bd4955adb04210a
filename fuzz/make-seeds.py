#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/ (all but http1-request's, which were written by
hand): binary frames and deflate data for websocket, responses for http1-response, the
provider fixtures of Tests/UpstreamTests/Fixtures.swift for provider-decoder, and client
messages, JSON documents and event streams. The output is checked in; run this (from
anywhere) only to change the seeds."""
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


def frame(opcode, payload, fin=True, rsv1=False, key=b"\x37\xfa\x21\x3d"):
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    mask = 0x80 if key is not None else 0
    n = len(payload)
    if n < 126:
        head = bytes([first, mask | n])
    elif n <= 0xFFFF:
        head = bytes([first, mask | 126]) + struct.pack(">H", n)
    else:
        head = bytes([first, mask | 127]) + struct.pack(">Q", n)
    if key is None:
        return head + payload
    return head + key + bytes(b ^ key[i & 3] for i, b in enumerate(payload))


def deflate(data, wbits=15):
    c = zlib.compressobj(6, zlib.DEFLATED, -wbits)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


ZERO = b"\x00\x00\x00\x00"  # a zero key leaves the payload readable for the mutator


def websocket():
    chat = b'{"type":"chat","id":"c1","messages":[{"role":"user","content":"hi"}]}'
    # mode 0: frame parser (options 0: masked, no RSV1; 1: unmasked; 2: masked + RSV1)
    write("websocket", "frames-masked", b"\x00" + frame(1, b"Hello") + frame(9, b"") + frame(2, bytes(200)))
    write("websocket", "frames-unmasked", b"\x08" + frame(1, b"Hel", fin=False, key=None) + frame(0, b"lo", key=None))
    write("websocket", "frames-rsv1", b"\x10" + frame(1, deflate(b"Hello"), rsv1=True, key=ZERO))
    write("websocket", "frames-64bit-length", b"\x00" + frame(2, bytes(70000))[:20])
    # mode 1: message reader
    write("websocket", "reader-fragments", b"\x01" + frame(1, b"Hel", fin=False) + frame(9, b"ping") + frame(0, b"lo")
          + frame(8, struct.pack(">H", 1000) + b"bye"))
    write("websocket", "reader-utf8", b"\x01" + frame(1, "zwölf €".encode(), key=ZERO) + frame(1, b"\xce", fin=False, key=ZERO)
          + frame(0, b"\xba", key=ZERO))
    write("websocket", "reader-chat", b"\x01" + frame(1, chat, key=ZERO))
    # mode 2: message reader with permessage-deflate
    write("websocket", "deflate-one", b"\x02" + frame(1, deflate(chat), rsv1=True, key=ZERO))
    part = deflate(chat * 3)
    write("websocket", "deflate-fragments", b"\x02" + frame(1, part[:10], fin=False, rsv1=True, key=ZERO)
          + frame(10, b"") + frame(0, part[10:], key=ZERO))
    write("websocket", "deflate-bomb", b"\x02" + frame(2, deflate(bytes(100000)), rsv1=True, key=ZERO))
    write("websocket", "deflate-stored", b"\x02" + frame(1, b"\x01\x05\x00\xfa\xffHello", rsv1=True, key=ZERO))
    # mode 3: round trips (data = message, close payload, raw deflate)
    write("websocket", "roundtrip-text", b"\x03" + b"\x03\xe8 a close reason " + chat)
    write("websocket", "roundtrip-deflate", b"\x0b" + deflate(b"abc" * 500))
    # mode 4: negotiation
    write("websocket", "negotiate", b"\x04permessage-deflate; client_max_window_bits, permessage-deflate\n"
          b"x-webkit-deflate-frame\npermessage-deflate; server_max_window_bits=\"10\"; client_max_window_bits=9;"
          b" server_no_context_takeover")


def http1_response():
    sse = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"1a\r\ndata: {\"choices\":[]}\n\n\r\n6;ext=\"q\"\r\ndata: \r\n0\r\nX-Trailer: t\r\n\r\n")
    write("http1-response", "chunked-sse", b"\x00" + sse)
    write("http1-response", "content-length-pipelined", b"\x08HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
          b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n"
          b"HTTP/1.0 200\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
    write("http1-response", "until-close", b"\x0cHTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nbody until close")
    write("http1-response", "head-request", b"\x01HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
    write("http1-response", "connect-tunnel", b"\x02HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01tls bytes")
    write("http1-response", "switching", b"\x00HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00")
    write("http1-response", "error-429", b"\x04HTTP/1.1 429 Too Many Requests\r\nRetry-After: 20\r\n"
          b"Content-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"error\":{\"type\":\"rate\"}}")
    write("http1-response", "bad-chunk", b"\x00HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n")
    write("http1-response", "truncated", b"\x04HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    write("http1-response", "roundtrip-chunked", b"\x10X-Value-From-Input!!" + b"a body to chunk " * 20)


def provider_decoder():
    """The raw bodies of Tests/UpstreamTests/Fixtures.swift, behind their decoder's letter."""
    import re
    source = open(os.path.join(ROOT, "..", "..", "Tests", "UpstreamTests", "Fixtures.swift")).read()
    pattern = re.compile(r'static let (\w+) = (?:\w+ \+ )?(crlf\()?#"""\n(.*?)\n *"""#', re.S)
    for name, crlf, body in pattern.findall(source):
        letter = {"openA": "o", "deepS": "o", "openR": "o", "moons": "o", "groq": "o", "ollam": "o", "vLLME": "o",
                  "zhipu": "o", "anthr": "a", "gemin": "g"}.get(name[:5], name[:4] == "groq" and "o")
        if not letter:
            continue
        text = body + "\n"
        if crlf:
            text = text.replace("\n", "\r\n")
        write("provider-decoder", name, letter.encode() + text.encode())


def text_seeds():
    """Text seeds: client messages (chatwire), JSON documents (json), event streams (sse)."""
    chat = {
        "chat": '{"type":"chat","id":"c1","client_id":"k-1","messages":[{"role":"system","content":"be brief"},'
                '{"role":"user","content":[{"type":"text","text":"hi "},{"type":"image_url"},{"type":"text","text":"there"}]}],'
                '"provider":"openai","model":"gpt-4o","temperature":0.7,"top_p":1,"max_tokens":256,"stop":["\\n\\n","END"],'
                '"presence_penalty":-2,"frequency_penalty":2.0,"seed":-9223372036854775808,"reasoning_effort":"low"}',
        "chat-huge-numbers": '{"type":"chat","id":"c2","messages":[{"role":"user","content":"x"}],"temperature":1e400,'
                             '"max_tokens":1e6,"seed":9223372036854775808,"top_p":-0.0,"seq":9223372036854775807}',
        "chat-invalid-utf8": b'{"type":"chat","id":"\xff\xfe\xc0\xaf","messages":[{"role":"user","content":"\xed\xa0\x80 \\ud800"}]}',
        "chat-nested": '{"type":"chat","id":"c3","messages":[{"role":"user","content":' + "[" * 200 + "]" * 200 + '}]}',
        "resume": '{"type":"resume","stream_id":"0123456789abcdef0123456789abcdef","last_seq":42}',
        "resume-int-max": '{"type":"resume","stream_id":"s","last_seq":9223372036854775807}',
        "resume-bad": '{"type":"resume","stream_id":"","last_seq":-2.5e3}',
        "cancel": '{"type":"cancel","id":"c1","stream_id":"0123456789abcdef0123456789abcdef"}',
        "auth": '{"type":"auth","token":"eyJhbGciOiJIUzI1NiJ9.e30.\\u0000"}',
        "heartbeat": '{"type":"heartbeat","timestamp":1733650000123.5}',
        "heartbeat-overflow": '{"type":"heartbeat","timestamp":-1e999}',
    }
    for name, text in chat.items():
        write("chatwire", name, text if isinstance(text, bytes) else text.encode())
    documents = {
        "object": '{"a":[1,-0,2.5e-3,1E+2,"x\\u00e9\\ud83d\\ude00\\n",true,false,null],"a":{}," ":{"":[]}}',
        "numbers": '[0,-1,12345678901234567890,9223372036854775807,-9223372036854775809,1.0,2e3,1e400,-1e-400]',
        "strings": '["\\"\\\\\\/\\b\\f\\n\\r\\t","\\ud800","\\udc00\\ud800x","\\u0000"]',
        "deep": "[" * 256 + "]" * 256,
        "too-deep": "[" * 257 + "]" * 257,
        "top-level-scalar": ' "just a string" ',
        "bad-trailing-comma": '{"a":1,}',
        "bad-leading-zero": '[01]',
        "bad-nan": '[NaN, Infinity]',
        "bad-control": '["tab\tinside"]',
        "invalid-utf8": b'["\xc3\x28 \xf0\x9f\x98"]',
    }
    for name, text in documents.items():
        write("json", name, text if isinstance(text, bytes) else text.encode())
    streams = {
        "openai": 'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\ndata: [DONE]\n\n',
        "fields": '\ufeffevent: chunk\r\nid: 7\r\nretry: 3000\r\ndata: line one\r\ndata:line two\r\n\r\n: keep-alive\r\r\n',
        "id-with-nul": 'id: a\x00b\ndata\nevent\ndata: x\n\n',
        "long-line": "data: " + "x" * 300 + "\n\n",
        "bom-split": '\xef\xbb:not a bom\n\n',
    }
    for name, text in streams.items():
        write("sse", name, text.encode("utf-8", "surrogateescape") if name != "bom-split" else b"\xef\xbb:not a bom\n\n")


if __name__ == "__main__":
    websocket()
    http1_response()
    provider_decoder()
    text_seeds()
    write("provider-decoder", "gemini-huge-usage", b'gdata: {"candidates":[{"content":{"parts":[{"text":"a"}]},'
          b'"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":-1,"candidatesTokenCount":9223372036854775807,'
          b'"thoughtsTokenCount":9223372036854775807}}\r\n\r\n')
    write("provider-decoder", "openai-negative-usage", b'odata: {"choices":[{"delta":{"content":"a"},"finish_reason":"stop"}],'
          b'"usage":{"prompt_tokens":-5,"completion_tokens":1e300}}\n\ndata: [DONE]\n\n')
