#!/usr/bin/env python3
"""A foreign binding's smoke test of the C API, with nothing but Python's ctypes.

Usage: ctypes_smoke.py LIBCONFAB_C_SO CONFAB_SERVER

Starts the reference server on free loopback ports, loads libconfab-c.so, opens a client
(the options filled by confab_client_options_init(), as a binding that cannot use the
_INIT macro does), connects through the server's bootstrap with a credential provider
written in Python, sends a message, and must hear it back twice: by polling (an event
loop) and by the event callback (a ctypes callback on the SDK's thread). Every wait has
a deadline; none is a fixed sleep. Exits 0 on success.
"""
import ctypes
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time

DEADLINE_S = 30.0

CONFAB_OK = 0
CONFAB_E_TIMEOUT = -5
CONFAB_EVENT_CONNECTION = 1 << 0
CONFAB_EVENT_MESSAGE = 1 << 1
CONFAB_EVENT_ALL = (1 << 11) - 1


class ClientOptions(ctypes.Structure):
    """confab_client_options, version 1, field by field as confab/confab.h declares it."""
    _fields_ = [
        ("version", ctypes.c_uint),
        ("device_id", ctypes.c_char_p),
        ("database_path", ctypes.c_char_p),
        ("cache_path", ctypes.c_char_p),
        ("durability", ctypes.c_int),
        ("allow_insecure_transport", ctypes.c_int),
        ("tls_ca_pem", ctypes.c_char_p),
        ("platform", ctypes.c_char_p),
        ("connect_step_timeout_ms", ctypes.c_int64),
        ("request_timeout_ms", ctypes.c_int64),
        ("outbox_window", ctypes.c_int64),
        ("outbox_ack_timeout_ms", ctypes.c_int64),
        ("outbox_max_age_ms", ctypes.c_int64),
        ("outbox_retry_base_ms", ctypes.c_int64),
        ("outbox_retry_cap_ms", ctypes.c_int64),
        ("no_reconnect", ctypes.c_int),
        ("reconnect_retry_base_ms", ctypes.c_int64),
        ("reconnect_retry_cap_ms", ctypes.c_int64),
        ("ping_interval_ms", ctypes.c_int64),
        ("ping_timeout_ms", ctypes.c_int64),
        ("disconnect_in_background", ctypes.c_int),
        ("heartbeat_interval_ms", ctypes.c_int64),
        ("typing_renew_ms", ctypes.c_int64),
        ("typing_idle_ms", ctypes.c_int64),
        ("typing_ttl_ms", ctypes.c_int64),
        ("poll_queue_capacity", ctypes.c_int64),
    ]


EVENT_CB = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
SECRET_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


def load(path):
    lib = ctypes.CDLL(path)
    client_p = ctypes.c_void_p
    out_str = ctypes.POINTER(ctypes.c_void_p)  # char **, freed with confab_free
    signatures = {
        "confab_version": (ctypes.c_char_p, []),
        "confab_errmsg": (ctypes.c_char_p, [client_p]),
        "confab_free": (None, [ctypes.c_void_p]),
        "confab_client_options_init": (ctypes.c_int, [ctypes.POINTER(ClientOptions), ctypes.c_uint]),
        "confab_client_new": (ctypes.c_int, [ctypes.POINTER(client_p), ctypes.POINTER(ClientOptions)]),
        "confab_client_free": (ctypes.c_int, [client_p]),
        "confab_secret_set": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
        "confab_connect_with_credential_provider": (ctypes.c_int, [client_p, ctypes.c_char_p, SECRET_CB,
                                                                   ctypes.c_void_p]),
        "confab_set_event_callback": (ctypes.c_int, [client_p, ctypes.c_uint, EVENT_CB, ctypes.c_void_p]),
        "confab_set_poll_kinds": (ctypes.c_int, [client_p, ctypes.c_uint]),
        "confab_poll_event": (ctypes.c_int, [out_str, client_p, ctypes.c_int]),
        "confab_send": (ctypes.c_int, [out_str, client_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


def take(lib, pointer):
    """The text of a string the library returned, freed with confab_free()."""
    try:
        return ctypes.string_at(pointer.value).decode("utf-8")
    finally:
        lib.confab_free(pointer)


def start_server(binary, directory):
    config = {
        "users": [{"id": "ctypes", "name": "Ctypes", "tokens": ["dev-ctypes"]}],
        "conversations": [{"id": "c_ffi", "kind": "channel", "name": "ffi", "members": ["ctypes"]}],
    }
    config_path = os.path.join(directory, "server.json")
    with open(config_path, "w") as f:
        json.dump(config, f)
    server = subprocess.Popen(
        [binary, "--config", config_path, "--port", "0", "--http-port", "0",
         "--database", os.path.join(directory, "server.db")],
        stdout=subprocess.PIPE, stderr=open(os.path.join(directory, "server.log"), "w"), bufsize=0)
    # "confab-server listening on ADDRESS:PORT", then "confab-server http on ADDRESS:PORT",
    # read straight from the pipe (a buffered reader would hide a line from select()).
    output = b""
    deadline = time.monotonic() + 15
    while output.count(b"\n") < 2:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([server.stdout], [], [], remaining)[0]:
            server.kill()
            sys.exit("ctypes_smoke: the server did not start")
        chunk = os.read(server.stdout.fileno(), 4096)
        if not chunk:
            sys.exit("ctypes_smoke: the server exited")
        output += chunk
    ports = [int(line.rsplit(b":", 1)[1]) for line in output.split(b"\n")[:2]]
    return server, ports[1]


def main():
    lib_path, server_binary = sys.argv[1], sys.argv[2]
    lib = load(lib_path)
    print("ctypes_smoke: libconfab-c", lib.confab_version().decode())
    deadline = time.monotonic() + DEADLINE_S

    with tempfile.TemporaryDirectory() as directory:
        server, http_port = start_server(server_binary, directory)
        try:
            options = ClientOptions()
            assert lib.confab_client_options_init(ctypes.byref(options), 1) == CONFAB_OK
            options.device_id = b"ctypes-device"
            options.database_path = os.path.join(directory, "outbox.db").encode()
            options.allow_insecure_transport = 1
            client = ctypes.c_void_p()
            if lib.confab_client_new(ctypes.byref(client), ctypes.byref(options)) != CONFAB_OK:
                sys.exit("ctypes_smoke: confab_client_new: " + lib.confab_errmsg(None).decode())

            # The credential provider runs on the client's token thread.
            asked = []

            @SECRET_CB
            def provide(out, _payload):
                asked.append(threading.get_ident())
                return lib.confab_secret_set(out, b"dev-ctypes")

            # The callback runs on the client's callback thread; it hands messages over.
            heard = []
            heard_changed = threading.Condition()

            @EVENT_CB
            def on_event(kind, event_json, _payload):
                with heard_changed:
                    heard.append((kind, json.loads(event_json.decode("utf-8"))))
                    heard_changed.notify_all()

            assert lib.confab_set_event_callback(client, CONFAB_EVENT_MESSAGE, on_event, None) == CONFAB_OK
            assert lib.confab_set_poll_kinds(client, CONFAB_EVENT_ALL) == CONFAB_OK
            bootstrap = "http://127.0.0.1:%d" % http_port
            if lib.confab_connect_with_credential_provider(client, bootstrap.encode(), provide, None) != CONFAB_OK:
                sys.exit("ctypes_smoke: connect: " + lib.confab_errmsg(client).decode())

            def poll_until(match):
                while time.monotonic() < deadline:
                    event = ctypes.c_void_p()
                    status = lib.confab_poll_event(ctypes.byref(event), client, 200)
                    if status == CONFAB_E_TIMEOUT:
                        continue
                    if status != CONFAB_OK:
                        sys.exit("ctypes_smoke: poll: " + lib.confab_errmsg(client).decode())
                    parsed = json.loads(take(lib, event))
                    if match(parsed):
                        return parsed
                sys.exit("ctypes_smoke: the deadline passed while polling")

            poll_until(lambda e: e["kind"] == "connection" and e["data"]["state"] == "connected")
            assert asked and asked[0] != threading.get_ident(), "the provider runs on the client's thread"

            echo = ctypes.c_void_p()
            if lib.confab_send(ctypes.byref(echo), client, b"c_ffi", "hello from ctypes ✓".encode(), None) != CONFAB_OK:
                sys.exit("ctypes_smoke: send: " + lib.confab_errmsg(client).decode())
            sent_id = json.loads(take(lib, echo))["clientMessageId"]

            def is_ours(e):
                return e["kind"] == "message" and e["data"]["clientMessageId"] == sent_id

            polled = poll_until(is_ours)
            assert polled["data"]["text"] == "hello from ctypes ✓", polled
            with heard_changed:
                ok = heard_changed.wait_for(lambda: any(is_ours(e) for _, e in heard), deadline - time.monotonic())
            if not ok:
                sys.exit("ctypes_smoke: the callback did not hear the message")
            assert all(kind == CONFAB_EVENT_MESSAGE for kind, _ in heard)

            assert lib.confab_client_free(client) == CONFAB_OK
            print("ctypes_smoke: sent %s and heard it back by poll and by callback" % sent_id)
        finally:
            server.terminate()
            server.wait(timeout=15)


if __name__ == "__main__":
    main()
