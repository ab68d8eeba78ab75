"""How the votes package's audit entries read (its objects are budgets, named by the budgets package)."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

from participation.audit import ADMINISTRATION, INSTRUCTION, describe_action

describe_action("ballot.paper", lambda p: _("%(actor)s entered a paper ballot in %(target)s"), part=INSTRUCTION,
                label=_l("Entering a paper ballot"))
describe_action("results.pabulib_import", lambda p: _("%(actor)s imported a Pabulib file into %(target)s"),
                part=ADMINISTRATION, label=_l("Importing a Pabulib file"))
# Reviewers compute results (administrators publish): their computations are in the staff (instruction) part.
describe_action("results.tally_rule", lambda p: _("%(actor)s changed the tally rule of %(target)s"),
                part=INSTRUCTION, label=_l("Changing the tally rule"), show_reason=False)
describe_action("results.compute", lambda p: _("%(actor)s computed the results of %(target)s"),
                part=INSTRUCTION, label=_l("Computing results"), show_reason=False)
describe_action("results.publish", lambda p: _("%(actor)s published the results of %(target)s"),
                part=ADMINISTRATION, label=_l("Publishing results"), show_reason=False)
