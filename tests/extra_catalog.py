"""A user's catalog directory for the tests of the AsyncAPI export: a platform type written with
JSON Schema 2020-12 keywords that draft-07 spells differently, a real-time type on the spec's three
channel kinds, and one on a channel of the user's own form."""

from __future__ import annotations

from pathlib import Path

PLATFORM_TYPE = """\
type: billing.invoice.paid
envelope: platform
description: A customer paid an invoice.
routing_key: comms.billing.invoice.paid
data_schema:
  type: object
  required: [invoice_id, amount, currency, paid_on, line]
  unevaluatedProperties: false
  dependentRequired:
    refund_id: [refunded_at]
  properties:
    invoice_id:
      type: string
      minLength: 1
      x-ocelot-sample: "inv-{hex:8}"
    amount:
      type: number
      exclusiveMinimum: 0
      examples: [120.5, 980, 15]
    currency:
      enum: [USD, EUR, CZK]
    paid_on:
      type: string
      format: date
    payer_phone:
      type: [string, "null"]
      x-ocelot-format: e164
      x-ocelot-sample: "+1415555{digits:4}"
    line:
      type: array
      prefixItems:
        - {type: string}
        - {type: integer, minimum: 1}
      items: false
      examples: [["roof inspection", 1], ["gutter guard", 3]]
    refund_id: {type: string}
    refunded_at: {type: string, format: date-time}
"""

REALTIME_TYPE = """\
type: crm.lead.assigned
envelope: realtime
description: A lead was assigned to a sales rep.
channels: ["tenant:{tenant_id}:events", "lead:{data.lead_id}:timeline", "user:{data.rep_id}:tasks"]
data_schema:
  type: object
  required: [lead_id, rep_id, score]
  properties:
    lead_id:
      type: string
      minLength: 1
      x-ocelot-sample: "lead-{hex:8}"
    rep_id:
      type: string
      minLength: 1
      x-ocelot-sample: "user-{hex:8}"
    score:
      type: integer
      minimum: 0
      maximum: 100
"""

OWN_CHANNEL_TYPE = """\
type: ops.alert.raised
envelope: realtime
description: An operations alert for a team's board.
channels: ["team:{data.team_id}:alerts"]
data_schema:
  type: object
  required: [team_id, level]
  properties:
    team_id: {type: string, minLength: 1, x-ocelot-sample: "team-{hex:4}"}
    level: {enum: [low, high]}
"""

USER_TYPES = {"billing.invoice.paid", "crm.lead.assigned", "ops.alert.raised"}


def write_user_catalog(directory: Path) -> Path:
    """The user's catalog files in ``directory`` (made if missing); the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "billing.invoice.paid.yaml").write_text(PLATFORM_TYPE)
    (directory / "crm.lead.assigned.yaml").write_text(REALTIME_TYPE)
    (directory / "ops.alert.raised.yaml").write_text(OWN_CHANNEL_TYPE)
    return directory
