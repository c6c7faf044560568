"""Streamlit's own protocol, spoken without a browser: one websocket per session.

A browser tab talks to a Streamlit server over ``/_stcore/stream``: it sends ``BackMsg``
protobufs (``rerun_script`` with the page, the query string and the widgets' values) and
receives ``ForwardMsg`` protobufs (the run's deltas, the navigation, ``script_finished``).
``Tab`` does the same from Python at a fraction of a browser's cost, so one core can play
fifty people: it keeps what the last run drew (``Page``), finds widgets by key or label in it,
keeps the login cookie the page's script stores or deletes as the browser does, follows the
query string the app sets, and sends each rerun with the values a browser would hold.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

#: Element types whose text a check may look for.
TEXT_KINDS = {"markdown": "body", "heading": "body", "alert": "body", "text": "body", "code": "code_text",
              "exception": "message", "metric": "label", "toast": "body"}


class ProtocolError(Exception):
    """The server did not answer as a browser expects (closed, timed out, an exception drawn)."""


@dataclass
class Element:
    """One element the last run drew: its type, its message, and the fragment it belongs to."""
    kind: str
    proto: Any
    fragment_id: str = ""

    @property
    def id(self) -> str:
        return getattr(self.proto, "id", "") or ""

    @property
    def label(self) -> str:
        return getattr(self.proto, "label", "") or ""

    @property
    def text(self) -> str:
        if self.kind == "block":  # the label of a tab or an expander
            kind = self.proto.WhichOneof("type")
            return str(getattr(getattr(self.proto, kind), "label", "")) if kind in ("tab", "expandable") else ""
        attribute = TEXT_KINDS.get(self.kind)
        return str(getattr(self.proto, attribute, "")) if attribute else ""


@dataclass
class Page:
    """What the browser shows after the last run: elements by their place in the page."""
    elements: dict[tuple, Element] = field(default_factory=dict)
    page_hash: str = ""
    pages: dict[str, str] = field(default_factory=dict)  # url path -> page script hash
    query: str = ""

    def widgets(self) -> list[Element]:
        return [e for e in self.elements.values() if e.id]

    def widget(self, key: str | None = None, *, label: str | None = None, kind: str | None = None) -> Element:
        """The widget with user key ``key`` (its id ends in ``-key``) or this label."""
        for element in self.widgets():
            if kind and element.kind != kind:
                continue
            if key is not None and element.id.endswith("-" + key):
                return element
            if label is not None and element.label == label:
                return element
        raise ProtocolError(f"no widget {key or label!r} on the page; texts: {self.text()[:300]!r}")

    def key_starting(self, prefix: str, kind: str | None = None) -> str:
        """The user key of the widget whose key starts with ``prefix``: a table keyed by what it
        lists (Tagihan's ``t_parties-<scheme>-<months>``), in its wide set of columns."""
        for element in self.widgets():
            key = element.id.split("-", 2)[-1] if element.id.startswith("$$ID-") else ""
            if key.startswith(prefix) and not key.endswith(("-hp", "-laptop")) and (kind is None or element.kind == kind):
                return key
        raise ProtocolError(f"no widget {prefix!r}... on the page; texts: {self.text()[:300]!r}")

    def has_widget(self, key: str) -> bool:
        return any(e.id.endswith("-" + key) for e in self.widgets())

    def text(self) -> str:
        return "\n".join(e.text for e in self.elements.values() if e.text)

    def problems(self) -> list[str]:
        """What a person would read as something gone wrong: an exception, an error box."""
        found = []
        for element in self.elements.values():
            if element.kind == "exception":
                found.append(f"{element.proto.type}: {element.proto.message}")
            elif element.kind == "alert" and element.proto.format == Alert.ERROR:
                found.append(element.proto.body)
        return found

    def dataframe_rows(self, key: str) -> int:
        """Rows of the dataframe ``key`` (its Arrow data read)."""
        return len(self.dataframe_column(key, None))

    def dataframe_column(self, key: str, column: str | None) -> list:
        """The values of ``column`` of the dataframe ``key`` (every row's None without a column)."""
        import pyarrow as pa
        data = self.widget(key, kind="dataframe").proto.arrow_data.data
        table = pa.ipc.open_stream(data).read_all() if data else None
        if table is None:
            return []
        return table.column(column).to_pylist() if column else [None] * table.num_rows


def state(widget_id: str, value: Any) -> WidgetState:
    """A widget's value as the browser sends it (the type decides the field)."""
    message = WidgetState(id=widget_id)
    if isinstance(value, bool):
        message.bool_value = value
    elif isinstance(value, int):
        message.int_value = value
    elif isinstance(value, float):
        message.double_value = value
    elif isinstance(value, str):
        message.string_value = value
    elif isinstance(value, dt.date):
        message.string_array_value.data.append(value.isoformat())
    elif isinstance(value, dict):
        message.json_value = json.dumps(value)
    else:
        raise TypeError(f"no widget value of type {type(value).__name__}")
    return message


def trigger(widget_id: str) -> WidgetState:
    return WidgetState(id=widget_id, trigger_value=True)


class Tab:
    """One browser tab: a websocket to ``base`` (``http://host:port``) and the page it shows."""

    def __init__(self, base: str, *, cookies: dict[str, str] | None = None, timeout: float = 60,
                 user_agent: str = "payung-loadtest"):
        self.base = base.rstrip("/")
        self.cookies = dict(cookies or {})
        self.timeout = timeout
        self.user_agent = user_agent
        self.page = Page()
        self.values: dict[str, WidgetState] = {}
        self._socket = None
        #: Runs the server made for this tab.
        self.runs = 0
        #: Seconds from the last action sent to its page drawn.
        self.drawn_s = 0.0

    async def open(self, path: str = "", query: str = "") -> Page:
        """Connect and run the app as a browser does when the address is opened."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        url = self.base.replace("http", "ws", 1) + "/_stcore/stream"
        self._socket = await asyncio.wait_for(connect(
            url, subprotocols=["streamlit"], origin=self.base, additional_headers=headers,
            user_agent_header=self.user_agent, max_size=None, open_timeout=self.timeout,
            ping_interval=None), self.timeout)
        self.page.query = query
        return await self.rerun(page_name=path)

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
            self._socket = None

    # Actions ---------------------------------------------------------------------------------

    async def rerun(self, changes: Iterable[WidgetState] = (), *, page_name: str | None = None,
                    page_hash: str | None = None, fragment_id: str = "") -> Page:
        """Send one rerun with the widgets' values (``changes`` on top of those held) and wait
        until the page is drawn (``drawn_s``: the seconds that took)."""
        start = time.perf_counter()
        await self._send(changes, page_name=page_name, page_hash=page_hash, fragment_id=fragment_id)
        await self._until_drawn()
        self.drawn_s = time.perf_counter() - start
        return self.page

    async def _send(self, changes: Iterable[WidgetState] = (), *, page_name: str | None = None,
                    page_hash: str | None = None, fragment_id: str = "") -> None:
        message = BackMsg()
        client = message.rerun_script
        client.query_string = self.page.query
        client.page_script_hash = self.page.page_hash if page_hash is None and page_name is None else page_hash or ""
        client.page_name = page_name or ""
        client.fragment_id = fragment_id
        client.context_info.timezone = "Asia/Jakarta"
        client.context_info.timezone_offset = -420
        client.context_info.locale = "id-ID"
        client.context_info.url = f"{self.base}/{page_name or ''}"
        held = dict(self.values)
        for change in changes:
            held[change.id] = change
        client.widget_states.widgets.extend(held.values())
        # Values stay held for the next rerun; triggers are for this run only.
        self.values = {k: v for k, v in held.items() if v.WhichOneof("value") not in {
            "trigger_value", "string_trigger_value", "json_trigger_value"}}
        await self._socket.send(message.SerializeToString())

    async def goto(self, url_path: str, query: str = "") -> Page:
        """Open another page from the sidebar (its query string is the new one)."""
        if url_path not in self.page.pages:
            raise ProtocolError(f"no page {url_path!r} in the navigation: {sorted(self.page.pages)}")
        self.page.query = query
        self.values = {}
        return await self.rerun(page_hash=self.page.pages[url_path])

    async def set(self, key: str | None = None, value: Any = None, *, label: str | None = None) -> Page:
        widget = self.page.widget(key, label=label)
        if widget.kind == "selectbox" or widget.kind == "radio":
            if value is not None and value not in widget.proto.options:
                raise ProtocolError(f"{widget.label!r} has no option {value!r}")
        return await self.rerun([state(widget.id, value)], fragment_id=widget.fragment_id)

    async def click(self, key: str | None = None, *, label: str | None = None,
                    values: dict[str, Any] | None = None) -> Page:
        """Press a button (with ``values`` of other widgets sent along, as a form does)."""
        widget = self.page.widget(key, label=label)
        changes = [state(self.page.widget(k).id, v) for k, v in (values or {}).items()]
        return await self.rerun([*changes, trigger(widget.id)], fragment_id=widget.fragment_id)

    async def select_row(self, key: str, row: int) -> Page:
        widget = self.page.widget(key, kind="dataframe")
        # The selection travels as JSON text (``string_value``), not as a JSON value.
        picked = json.dumps({"selection": {"rows": [row], "columns": [], "cells": []}})
        return await self.rerun([state(widget.id, picked)],
                                fragment_id=widget.fragment_id)

    # Receiving -------------------------------------------------------------------------------

    async def _receive(self) -> ForwardMsg:
        try:
            data = await asyncio.wait_for(self._socket.recv(), self.timeout)
        except TimeoutError as exc:
            raise ProtocolError(f"no answer within {self.timeout:g} s") from exc
        except Exception as exc:  # the connection closed
            raise ProtocolError(f"connection lost: {exc}") from exc
        message = ForwardMsg()
        message.ParseFromString(data)
        return message

    async def _until_drawn(self) -> None:
        """Read messages until a run ends without another one following (``st.rerun`` and
        ``st.switch_page`` end a run early and start the next)."""
        while True:
            message = await self._receive()
            kind = message.WhichOneof("type")
            if kind == "new_session":
                self.runs += 1
                self.page.page_hash = message.new_session.page_script_hash
                fragments = set(message.metadata.run.fragment_ids) if message.HasField("metadata") else set()
                if fragments:
                    self.page.elements = {p: e for p, e in self.page.elements.items()
                                          if e.fragment_id not in fragments}
                else:
                    self.page.elements = {}
            elif kind == "delta":
                delta = message.delta
                if delta.WhichOneof("type") == "add_block":
                    self.page.elements[tuple(message.metadata.delta_path)] = Element(
                        "block", delta.add_block, delta.fragment_id)
                elif delta.WhichOneof("type") == "new_element":
                    element = delta.new_element
                    element_kind = element.WhichOneof("type")
                    drawn = Element(element_kind, getattr(element, element_kind), delta.fragment_id)
                    self.page.elements[tuple(message.metadata.delta_path)] = drawn
                    if element_kind == "html" and element.html.unsafe_allow_javascript:
                        self._run_cookie_script(element.html.body)
            elif kind == "navigation":
                # By address; the default page's is "" (the app's root).
                self.page.pages = {page.url_pathname: page.page_script_hash for page in message.navigation.app_pages}
            elif kind == "page_info_changed":
                self.page.query = message.page_info_changed.query_string
            elif kind == "session_event" and message.session_event.HasField("script_compilation_exception"):
                raise ProtocolError(f"script error: {message.session_event.script_compilation_exception.message}")
            elif kind == "page_not_found":
                raise ProtocolError(f"page not found: {message.page_not_found.page_name}")
            elif kind == "script_finished":
                if message.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue
                if message.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise ProtocolError("the script did not compile")
                break
        self._forget_gone_widgets()

    def _forget_gone_widgets(self) -> None:
        """Like the browser: a value is held only for a widget on the page, and one the app set
        (``set_value``) is the app's."""
        present = {}
        for element in self.page.widgets():
            present[element.id] = bool(getattr(element.proto, "set_value", False))
        self.values = {k: v for k, v in self.values.items() if k in present and not present[k]}

    # The login cookie: a script in the page -----------------------------------------------------

    def _run_cookie_script(self, body: str) -> None:
        """What the browser does with the script that stores or deletes the login cookie
        (``ui.auth.cookie_script``): its order, the JSON after ``})(``, keeps the cookie for the
        next websocket this tab opens or drops it (a delete only while it holds ``only``)."""
        if not body.startswith("<script>(function (order)") or "})(" not in body:
            return
        order = json.loads(body.rsplit("})(", 1)[1].removesuffix(");</script>"))
        name, _, value = order["cookie"].split(";", 1)[0].partition("=")
        if order["only"] is not None and order["only"] != f"{name}={self.cookies.get(name)}":
            return
        if value:
            self.cookies[name] = value
        else:  # Keluar, or a cookie that is not ours: an empty value, an expiry in the past
            self.cookies.pop(name, None)

