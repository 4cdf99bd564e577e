"""The lifecycle guards acceptance owns: accepting -> accepted needs the latest round passed (every
required role approved the record as it stands); accepting -> constructing needs it rejected."""

from sqlmodel.ext.asyncio.session import AsyncSession

from app.acceptance import rules, service
from app.acceptance.rules import Status
from app.projects.lifecycle import Refusal, guard
from app.projects.reads import ProjectStatus


async def _signed(session: AsyncSession, project) -> bool | Refusal:
    a = await service.latest(session, project.id)
    if a is not None and a.status == Status.passed:
        return True
    if a is None or a.status != Status.open:
        return False
    approved = {s.role for s in (await service.signatures(session, [a.id], in_force=True))[a.id]}
    missing = [r for r in a.roles if r not in approved]
    return Refusal(f"竣工验收尚待以下各方签字同意：{'、'.join(rules.ROLE_NAMES[rules.SignatoryRole(r)] for r in missing)}",
                   f"The acceptance still waits for the approval of: {', '.join(missing)}")


async def _rejected(session: AsyncSession, project) -> bool:
    a = await service.latest(session, project.id)
    return a is not None and a.status == Status.rejected


ACCEPTANCE_SIGNED = guard(
    "acceptance_signed", [(ProjectStatus.accepting, ProjectStatus.accepted)],
    "竣工验收尚未经各方签字通过", "The acceptance has not been approved by every signatory", _signed)
ACCEPTANCE_REJECTED = guard(
    "acceptance_rejected", [(ProjectStatus.accepting, ProjectStatus.constructing)],
    "竣工验收未被否决，不能退回施工", "Only a rejected acceptance sends the project back to construction", _rejected)
