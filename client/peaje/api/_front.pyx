# cython: language_level=3, cdivision=True, auto_pickle=False
"""The front's per-request bookkeeping, compiled: the layer every request crosses
(middleware.Front), the answer's stamp (timing), and the metrics' per-request half (metrics).

In Python these few dozen operations cost 16,000 instructions of a 327,000-instruction no-op
request (4.9%, half the front's goal of a tenth); compiled, 6,800 (2.1%; make api-instructions,
peaje.bench.front_instructions). Everything here is generic Python semantics on the objects
the ASGI server and the app hand over (a scope dict, header pairs, routes), so a hostile value
fails as it would in Python (TypeError, ValueError, OverflowError), never as a crash.
"""

import asyncio as _asyncio

from posix.time cimport CLOCK_MONOTONIC, clock_gettime, timespec

from libc.string cimport memcpy

from cpython.bytes cimport PyBytes_FromStringAndSize

START = "peaje.start"  # scope: perf_counter_ns() when the front took the request
STATUS = "peaje.status"  # scope: the status of the answer that started
TIMING = b"server-timing"
# The status the metrics count for a request whose client went away before its body was read
# (nginx's "client closed request"); nothing is sent.
CLIENT_GONE = 499
TIMED_OUT = object()  # what Bodies.read_in_time answers past the deadline

cdef object current_task = _asyncio.current_task
cdef object CancelledError = _asyncio.CancelledError
cdef object ensure_future = _asyncio.ensure_future

cdef enum:
    MAX_BOUNDS = 64


cdef inline long long now_ns() noexcept nogil:
    """time.perf_counter_ns(): on Linux CPython reads the same clock (CLOCK_MONOTONIC)."""
    cdef timespec t
    clock_gettime(CLOCK_MONOTONIC, &t)
    return <long long>t.tv_sec * 1000000000 + t.tv_nsec


def perf_counter_ns():
    """The clock START is read on (time.perf_counter_ns's)."""
    return now_ns()


cpdef bytes duration(unsigned long long elapsed_ns):
    """b"app;dur=<milliseconds, three decimals>", to the nearest microsecond. Written digit by
    digit: snprintf's machinery cost ~700 instructions and ~50 instruction-cache misses of every
    request (cachegrind)."""
    cdef char text[40]  # "app;dur=" + 20 digits + "." + 3: 32 at most
    cdef unsigned long long us = elapsed_ns // 1000 + (elapsed_ns % 1000 >= 500)
    cdef unsigned long long ms = us // 1000
    cdef int end = 39, i = 0
    for i in range(3):  # the thousandths, right to left
        text[end - i] = <char>(48 + us % 10)
        us //= 10
    end -= 3
    text[end] = b"."
    end -= 1
    while True:
        text[end] = <char>(48 + ms % 10)
        ms //= 10
        if ms == 0:
            break
        end -= 1
    end -= 8
    memcpy(&text[end], b"app;dur=", 8)
    return PyBytes_FromStringAndSize(&text[end], 40 - end)


def stamp(dict scope not None, status, headers):
    """Records ``status`` as the request's answer and adds ``app;dur=`` to the Server-Timing of
    ``headers``: to its last field line when that is Server-Timing (a list, RFC 9110 5.3: one
    line the server writes instead of two; bodies.BodyResponse puts its ``engine`` there), else
    as a field line of its own. Once per request; nothing outside the front's layer (no START in
    the scope). A START after now stamps 0."""
    start = scope.get(START)
    if start is None or STATUS in scope:
        return
    cdef long long began = start  # OverflowError past int64, TypeError for a non-int
    cdef long long now = now_ns()
    scope[STATUS] = status
    # unsigned: now - began cannot overflow (a hostile START of -2**63 included)
    app = duration(<unsigned long long>now - <unsigned long long>began if now > began else 0)
    if type(headers) is list and headers:
        last = (<list>headers)[-1]
        if type(last) is tuple and len(<tuple>last) == 2 and (<tuple>last)[0] == TIMING:
            value = (<tuple>last)[1]
            if type(value) is bytes:
                (<list>headers)[-1] = (TIMING, <bytes>value + b", " + app)
                return
    headers.append((TIMING, app))


cdef class LoopHistogram:
    """One labelled histogram series, for the event loop's thread only: bucket counts and a sum
    in C numbers (no lock; prometheus_client's child takes one per bucket and per sum, ~2 us of
    every request). Read by metrics.LoopHistograms at scrape time."""

    cdef double bounds[MAX_BOUNDS]
    cdef long long counts[MAX_BOUNDS + 1]
    cdef int n
    cdef public double sum

    def __cinit__(self, bounds):
        values = [float(bound) for bound in bounds]
        if not 0 < len(values) <= MAX_BOUNDS:
            raise ValueError(f"a histogram takes 1 to {MAX_BOUNDS} bucket bounds")
        if any(not a < b for a, b in zip(values, values[1:])):
            raise ValueError("bucket bounds must be strictly ascending")
        self.n = len(values)
        for i, bound in enumerate(values):
            self.bounds[i] = bound
        for i in range(self.n + 1):
            self.counts[i] = 0
        self.sum = 0.0

    cpdef void observe(self, double seconds):
        """Counts ``seconds`` in the first bucket whose bound is >= it (bisect_left; +Inf last;
        NaN in the first, as bisect puts it)."""
        cdef int i = 0
        while i < self.n and self.bounds[i] < seconds:
            i += 1
        self.counts[i] += 1
        self.sum += seconds

    @property
    def buckets(self):
        """The count of each bucket (not cumulative), +Inf last."""
        return [self.counts[i] for i in range(self.n + 1)]


cdef class Recorder:
    """The per-request half of metrics.ApiMetrics: a request the front answered, counted under
    its route template and engine and timed if it reached its route. The series of a routed
    request are looked up once per (route, engine label, status); the subclass makes them
    (``children``) and counts the requests answered before routing (``unrouted``)."""

    cdef dict routed
    cdef frozenset labelled

    def __cinit__(self, *args, **kwargs):
        self.routed = {}
        self.labelled = frozenset()

    def label_engines(self, labelled):
        """The engine label values kept as they are; any other name counts as "unknown"."""
        self.labelled = frozenset(labelled)

    def children(self, engine, route, status):
        raise NotImplementedError

    def unrouted(self, scope, status):
        raise NotImplementedError

    @property
    def cached(self):
        """How many (route, engine label, status) keys the routed cache holds."""
        return len(self.routed)

    cpdef void record(self, dict scope, status, long long elapsed_ns) except *:
        """One request the front answered (middleware.Front), with its status and time."""
        if scope is None:
            raise TypeError("record() needs the request's scope, a dict")
        route = scope.get("route")
        if route is None:  # answered before routing (shed, 408, 413): not timed
            self.unrouted(scope, status)
            return
        params = scope.get("path_params")
        engine = params.get("engine", "") if params else ""
        if engine not in self.labelled:
            engine = "unknown"  # a bounded set of keys
        key = (id(route), engine, status)  # routes compare by value: unhashable; the app's live
        found = self.routed.get(key)
        if found is None:
            path = getattr(route, "path", None) or "unmatched"
            found = self.routed[key] = tuple(self.children(engine, path, status))
        cdef list requests = found[0]
        cdef list errors = found[1]
        cdef LoopHistogram latency = found[2]
        requests[0] = requests[0] + 1
        if errors is not None:
            errors[0] = errors[0] + 1
        latency.observe(elapsed_ns / 1e9)


cdef class Replay:
    """The receive the app gets once the layer has read the body: that body as one message,
    then the server's own receive (http.disconnect, for whoever listens for it)."""

    cdef object first
    cdef object receive
    cdef bint replayed

    def __cinit__(self, first, receive):
        self.first = first
        self.receive = receive
        self.replayed = False

    async def __call__(self):
        if self.replayed:
            return await self.receive()
        self.replayed = True
        return self.first


cdef class Bodies:
    """The hot half of middleware.BodyReader (what it does and why): a request's body read whole
    within ``timeout`` seconds of its headers and at most ``limit`` bytes. The deadline costs no
    timer per request: the read registers its task in ``reading`` and the subclass's watchdog
    (``watch``) cancels the reads past their deadline. The subclass answers the refusals
    (``too_large``, ``timed_out``) and reads a body of several messages (``read``)."""

    cdef public object limit
    cdef public double timeout
    cdef public double tick
    cdef public dict reading
    cdef public object watchdog

    def __cinit__(self, *args, **kwargs):
        self.reading = {}
        self.watchdog = None

    async def prepare(self, scope, receive, declared):
        """For a request with a body (``declared``: its Content-Length, b"" when chunked; a
        Content-Length of 0 is no body, whatever else the headers say):
        (receive for the app, None), the body read whole and replayed as one message; (None,
        answer), a 413 or 408 problem to send instead of the app; (None, None), the client went
        away while sending."""
        if declared.isdigit():
            if len(declared) > 4000:  # past int()'s 4,300-digit cap: leading zeros only?
                declared = declared.lstrip(b"0") or b"0"
            if len(declared) > 4000 or int(declared) > self.limit:
                return None, self.too_large()
        first = await self.read_in_time(receive)
        if first is TIMED_OUT:
            return None, self.timed_out()
        if first is None:  # the client went away while sending
            return None, None
        if len(first["body"]) > self.limit:
            return None, self.too_large()
        return Replay(first, receive), None

    async def read_in_time(self, receive):
        """The body as one complete http.request message (the server's own when it came in
        one), None on a disconnect, or TIMED_OUT once the deadline has passed (the watchdog
        cancelled the read)."""
        if self.timeout <= 0:
            return await self.read(receive)
        task = current_task()
        entry = [now_ns() / 1e9 + self.timeout, False]  # time.monotonic()'s clock
        reading = self.reading
        reading[task] = entry
        if self.watchdog is None:
            self.watchdog = ensure_future(self.watch())
        try:
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                return message if "body" in message else {**message, "body": b""}  # usual case
            return await self.read(receive, message)
        except CancelledError:
            if not entry[1]:
                raise  # not ours: a disconnect or shutdown
            task.uncancel()
            return TIMED_OUT
        finally:
            del reading[task]


cdef inline bint engine_path(path) except -1:
    """``path`` starts with /v1/ (the routes shedding counts); str.startswith's answer without
    its method call (~800 instructions of every request in PyUnicode_Tailmatch)."""
    if type(path) is not str:
        raise TypeError(f"the scope's path must be str, not {type(path).__name__}")
    cdef str text = <str>path
    return (len(text) >= 4 and text[0] == u"/" and text[1] == u"v" and text[2] == u"1"
            and text[3] == u"/")


cdef class Gate:
    """The counts shedding.Admission keeps, read and bumped by the layer on every request:
    ``limit`` engine requests in flight at most (0 = no limit), ``in_flight`` now, ``shed`` so
    far."""

    cdef public long long limit
    cdef public long long in_flight
    cdef public long long shed

    def __cinit__(self, *args, **kwargs):
        self.limit = self.in_flight = self.shed = 0


cdef class Layer:
    """The front's one ASGI layer (middleware.Front: what it does and why), compiled: every
    request through one frame. ``bodies`` is its middleware.BodyReader, ``admission`` its
    shedding.Admission, ``metrics`` its metrics.ApiMetrics."""

    cdef readonly object app
    cdef readonly Recorder metrics
    cdef readonly Gate admission
    cdef readonly Bodies bodies

    def __init__(self, app, Recorder metrics not None, Gate admission not None,
                 Bodies bodies not None):
        self.app = app
        self.metrics = metrics
        self.admission = admission
        self.bodies = bodies

    async def __call__(self, dict scope not None, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cdef long long start = now_ns()
        scope[START] = start  # the answer stamps the request (timing)
        try:
            declared, chunked = None, False
            for name, value in scope["headers"]:  # ASGI header names are lower case
                if name == b"content-length":
                    declared = value
                elif name == b"transfer-encoding":
                    chunked = True
            if chunked if declared is None else declared != b"0":
                ready, refusal = await self.bodies.prepare(scope, receive, declared or b"")
                if ready is None:
                    if refusal is not None:
                        await refusal(scope, receive, send)
                    else:  # the client went away while sending: no answer, and not our error
                        scope[STATUS] = CLIENT_GONE
                    return
                receive = ready
            admission = self.admission
            if admission.limit <= 0 or not engine_path(scope["path"]):
                await self.app(scope, receive, send)
                return
            if admission.in_flight >= admission.limit:  # Admission.refusal's test, inline
                await admission.refusal()(scope, receive, send)
                return
            admission.in_flight += 1  # one event loop: no lock needed between check and this
            try:
                await self.app(scope, receive, send)
            finally:
                admission.in_flight -= 1
        finally:
            self.metrics.record(scope, scope.get(STATUS, 500), now_ns() - start)
