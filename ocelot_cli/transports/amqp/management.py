"""RabbitMQ's management HTTP API, read-only: the topology of one vhost (or all) with counts and rates.

One client (urllib: timeouts on every request, answers read up to a bound, no redirects followed,
credentials in a header and never in a printed URL) and the JSON it reads turned into the plain
``ocelot_cli.topology.model``. Every failure is an OcelotError naming the masked URL and what to do.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from ocelot_cli.config.management import DEFAULT_CREDENTIALS, url_credentials, without_credentials
from ocelot_cli.config.redact import scrub
from ocelot_cli.errors import AuthenticationFailed, BrokerUnreachable, ExitStatus, OcelotError, UsageProblem
from ocelot_cli.topology.model import MANAGEMENT, BindingInfo, ExchangeInfo, QueueInfo, Topology
from ocelot_cli.transports.base import Endpoint

MAX_ANSWER = 64 * 1024 * 1024  # one listing; a broker with more than this needs a narrower --vhost
ENABLE_HINT = ("enable the management plugin on the broker ('rabbitmq-plugins enable rabbitmq_management'), or give "
               "the API's URL with --mgmt-url (OCELOT_MGMT_URL)")  # fmt: skip
EXCHANGE_COLUMNS = ("vhost,name,type,durable,auto_delete,internal,policy,arguments,"
                    "message_stats.publish_in_details.rate,message_stats.publish_out_details.rate")  # fmt: skip
QUEUE_COLUMNS = ("vhost,name,type,durable,auto_delete,exclusive,policy,operator_policy,arguments,state,"
                 "messages_ready,messages_unacknowledged,messages,consumers,"
                 "message_stats.publish_details.rate,message_stats.deliver_get_details.rate")  # fmt: skip
BINDING_COLUMNS = "vhost,source,destination,destination_type,routing_key,arguments"


class VhostNotFound(OcelotError):
    """The management API says the vhost does not exist (AMQP could only be refused it as well)."""

    exit_status = ExitStatus.NOT_FOUND


class NothingThere(BrokerUnreachable):
    """Nothing answered where the management API should be (not enabled, unreachable), or RabbitMQ's API
    has nothing of the name asked for: no answer to speak of, rather than a refusal."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer to report, not to follow: following it would send the credentials on."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


class ManagementApi:
    """A read-only client of the management API at ``endpoint`` (its URL's path is a prefix: a proxy's
    ``http://host/rabbitmq/`` works). Credentials: the URL's own, else ``fallback``'s (the AMQP URL)."""

    def __init__(self, endpoint: Endpoint, fallback: Endpoint | None = None) -> None:
        if len(endpoint.nodes) > 1:
            raise UsageProblem(f"{endpoint.source or '--mgmt-url'} {endpoint.shown}: give one management API URL",
                               hint="the management API of any node of a cluster shows the whole cluster")  # fmt: skip
        self.endpoint = endpoint
        parts = urlsplit(without_credentials(endpoint.url))
        prefix = parts.path.rstrip("/").removesuffix("/api")
        self.base = f"{parts.scheme}://{parts.netloc}{prefix}/api/"
        own, inherited = url_credentials(endpoint.url), fallback and url_credentials(fallback.url)
        self.user, password = own or inherited or DEFAULT_CREDENTIALS
        self.credentials_from = ("the management URL" if own else "the AMQP URL" if inherited else
                                 "the default guest/guest")  # fmt: skip
        token = base64.b64encode(f"{self.user}:{password}".encode()).decode("ascii")
        self._headers = {"Authorization": f"Basic {token}", "Accept": "application/json"}
        context = ssl.create_default_context(cafile=endpoint.ca_file) if parts.scheme == "https" else None
        self._opener = urllib.request.build_opener(_NoRedirects(), urllib.request.HTTPSHandler(context=context))

    @property
    def shown(self) -> str:
        return self.endpoint.shown

    def get(self, path: str, columns: str | None = None) -> Any:
        """The JSON answer to ``GET /api/PATH``; OcelotError (translated) for any failure."""
        url = self.base + path + (f"?{urlencode({'columns': columns})}" if columns else "")
        request = urllib.request.Request(url, headers=self._headers)
        try:
            with self._opener.open(request, timeout=self.endpoint.connect_timeout) as response:
                body = response.read(MAX_ANSWER + 1)
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc, path) from None
        except (OSError, http.client.HTTPException) as exc:
            raise self._connect_error(exc) from None
        if len(body) > MAX_ANSWER:
            raise OcelotError(f"the management API's answer for {path} is over {MAX_ANSWER // 2**20} MB",
                              hint="narrow it to one vhost with --vhost", status=ExitStatus.INPUT)  # fmt: skip
        try:
            return json.loads(body)
        except ValueError:
            raise BrokerUnreachable(f"the server at {self.shown} does not answer as RabbitMQ's management API "
                                    "(its answer is not JSON)", hint=ENABLE_HINT) from None  # fmt: skip

    def _http_error(self, error: urllib.error.HTTPError, path: str) -> OcelotError:
        answer = _answer(error)
        reason = _reason(answer, error)
        if error.code == 401:
            return AuthenticationFailed(
                f"the management API at {self.shown} refused the credentials of user {self.user!r} (from "
                f"{self.credentials_from}): {reason}",
                hint="check the user and password of --mgmt-url (OCELOT_MGMT_URL), or of the AMQP URL when the "
                "management URL has none; the user needs the management or monitoring tag",
            )
        if error.code == 403:
            return AuthenticationFailed(f"the management API at {self.shown} refused user {self.user!r} access to "
                                        f"{path}: {reason}", hint="give the user the monitoring tag")  # fmt: skip
        if error.code in (301, 302, 303, 307, 308):
            return BrokerUnreachable(f"the management API at {self.shown} redirects elsewhere "
                                     f"({error.code}); redirects are not followed",
                                     hint="give the URL it redirects to with --mgmt-url")  # fmt: skip
        if error.code == 404:  # RabbitMQ's own answer for a name it does not have (one queue's path): nothing
            kind = NothingThere if answer.get("error") == "Object Not Found" else BrokerUnreachable
            return kind(f"no RabbitMQ management API at {self.shown} (404 for /api/{path})", hint=ENABLE_HINT)
        return BrokerUnreachable(f"the management API at {self.shown} answered {error.code}: {reason}")

    def _connect_error(self, error: BaseException) -> OcelotError:
        cause = error.reason if isinstance(error, urllib.error.URLError) else error
        where = f"the management API at {self.shown}"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return AuthenticationFailed(f"TLS certificate of {where} could not be verified: {cause.verify_message}",
                                        hint="pass --ca-file with the CA that signed it")  # fmt: skip
        if isinstance(cause, ConnectionRefusedError):
            return NothingThere(f"cannot reach {where}: connection refused", hint=ENABLE_HINT)
        if isinstance(cause, socket.gaierror):
            return BrokerUnreachable(f"cannot resolve the host of {where}", hint="check the host name in the URL")
        if isinstance(cause, TimeoutError | socket.timeout):
            hint = f"check the host, port and any firewall; {ENABLE_HINT}"
            return NothingThere(f"cannot reach {where}: no answer within {self.endpoint.connect_timeout:g}s",
                                hint=hint)  # fmt: skip
        if isinstance(cause, http.client.HTTPException | ssl.SSLError):
            return BrokerUnreachable(f"the server at {self.shown} does not answer as an HTTP server "
                                     f"({type(cause).__name__})",
                                     hint="check the port: the management API listens on 15672 (15671 for https), "
                                     "AMQP on 5672")  # fmt: skip
        return BrokerUnreachable(f"cannot reach {where}: {scrub(str(cause))}", hint=ENABLE_HINT)


def _answer(error: urllib.error.HTTPError) -> dict[str, Any]:
    """An error's JSON body ({"error": ..., "reason": ...} from RabbitMQ), else {}."""
    try:
        answer = json.loads(error.read(4096) or b"{}")
    except (OSError, ValueError, http.client.HTTPException):
        return {}
    return answer if isinstance(answer, dict) else {}


def _reason(answer: dict[str, Any], error: urllib.error.HTTPError) -> str:
    """The broker's own reason for an error, kept short."""
    reason = answer.get("reason") or answer.get("error")
    return str(reason or error.reason or "no reason given")[:200]


def queue_type(management: Endpoint | None, amqp: Endpoint, name: str) -> tuple[str | None, OcelotError | None]:
    """The type (classic, quorum, stream) of queue ``name`` in the AMQP URL's vhost, as the management API
    says, a read-only question; (None, why) when it cannot say, ``why`` None when nothing answered there
    (no API enabled, unreachable) or without a management URL."""
    if management is None:
        return None, None
    from ocelot_cli.config.management import amqp_vhost

    try:
        answer = ManagementApi(management, amqp).get(f"queues/{quote(amqp_vhost(amqp.url), safe='')}/"
                                                     f"{quote(name, safe='')}", columns="type")  # fmt: skip
    except OcelotError as exc:
        return None, None if isinstance(exc, NothingThere) else exc
    kind = answer.get("type") if isinstance(answer, dict) else None
    if isinstance(kind, str) and kind:
        return kind, None
    return None, OcelotError(f"the management API at {management.shown} gave no type for queue {name!r}")


def read_topology(api: ManagementApi, vhost: str | None) -> Topology:
    """Exchanges, queues and bindings of ``vhost`` (None: every vhost the user can see)."""
    overview = api.get("overview", "rabbitmq_version,cluster_name,management_version")
    visible = sorted(str(item.get("name")) for item in _listing(api.get("vhosts", "name")))
    if vhost is not None:
        if vhost not in visible:
            seen = ", ".join(repr(v) for v in visible) or "none"
            raise VhostNotFound(f"virtual host {vhost!r} does not exist on {api.shown}, or user {api.user!r} may "
                                f"not see it (it sees {seen})",
                                hint="choose one with --vhost, or see every one with --all-vhosts")  # fmt: skip
        visible = [vhost]
    scope = "" if vhost is None else "/" + quote(vhost, safe="")
    exchanges = [_exchange(item) for item in _listing(api.get(f"exchanges{scope}", EXCHANGE_COLUMNS))]
    queues = [_queue(item) for item in _listing(api.get(f"queues{scope}", QUEUE_COLUMNS))]
    bindings = [_binding(item) for item in _listing(api.get(f"bindings{scope}", BINDING_COLUMNS))]
    server = {key: str(overview.get(key) or "") for key in ("rabbitmq_version", "cluster_name")}
    return Topology(MANAGEMENT, visible, exchanges, queues, bindings, server={**server, "management_url": api.shown})


def _listing(answer: Any) -> list[dict[str, Any]]:
    """The objects of a listing (a paginated answer's items too); anything else is an empty listing."""
    if isinstance(answer, dict):
        answer = answer.get("items", [])
    return [item for item in answer if isinstance(item, dict)] if isinstance(answer, list) else []


def _count(item: dict[str, Any], key: str) -> int | None:
    value = item.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _rates(item: dict[str, Any], **names: str) -> dict[str, float]:
    """``{name: rate}`` of the message_stats the broker reported (none when there was no traffic)."""
    stats = item.get("message_stats")
    found = {}
    for name, key in names.items():
        details = stats.get(f"{key}_details") if isinstance(stats, dict) else None
        rate = details.get("rate") if isinstance(details, dict) else None
        if isinstance(rate, int | float) and not isinstance(rate, bool):
            found[name] = float(rate)
    return found


def _text(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    return str(value) if value not in (None, "") else None


def _flag(item: dict[str, Any], key: str) -> bool | None:
    value = item.get(key)
    return value if isinstance(value, bool) else None


def _arguments(item: dict[str, Any]) -> dict[str, Any]:
    value = item.get("arguments")
    return value if isinstance(value, dict) else {}


def _exchange(item: dict[str, Any]) -> ExchangeInfo:
    return ExchangeInfo(str(item.get("vhost", "/")), str(item.get("name", "")), _text(item, "type"),
                        _flag(item, "durable"), _flag(item, "auto_delete"), _flag(item, "internal"),
                        _text(item, "policy"), _arguments(item),
                        _rates(item, publish_in="publish_in", publish_out="publish_out"))  # fmt: skip


def _queue(item: dict[str, Any]) -> QueueInfo:
    return QueueInfo(
        str(item.get("vhost", "/")), str(item.get("name", "")), _text(item, "type"), _flag(item, "durable"),
        _flag(item, "auto_delete"), _flag(item, "exclusive"), _text(item, "policy"), _text(item, "operator_policy"),
        _arguments(item), _text(item, "state"), _count(item, "messages_ready"),
        _count(item, "messages_unacknowledged"), _count(item, "messages"), _count(item, "consumers"),
        _rates(item, publish="publish", deliver_get="deliver_get"),
    )


def _binding(item: dict[str, Any]) -> BindingInfo:
    return BindingInfo(str(item.get("vhost", "/")), str(item.get("source", "")), str(item.get("destination", "")),
                       str(item.get("destination_type", "queue")), str(item.get("routing_key", "")),
                       _arguments(item))  # fmt: skip
