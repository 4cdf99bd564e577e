"""The ballot's notices as PDFs, to print and post, in the embedded Chinese font of ``app.core.pdf``:

- the announcement (表决公告): motions, rule, dates, how to vote online and on paper, how to check the
  electorate and ask for a correction, where and until when to object;
- the result notice (表决结果公告), preliminary (初步) until the objection window has passed and every
  objection is answered, then final: the rule and, for each motion, every figure behind its outcome.
"""

import uuid
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.residence import Assurance
from app.core import clock, pdf, pools
from app.core.links import public_url
from app.projects import reads as projects
from app.registry import reads as registry
from app.voting import service
from app.voting.models import Ballot
from app.voting.rules import Outcome, Rule
from app.voting.schemas import BallotResultsPublic

RULE_TEXT = {
    Rule.civil_code_major: "《民法典》第二百七十八条（重大事项）：参与表决的专有部分面积和人数均占三分之二以上，"
                           "且经参与表决专有部分面积四分之三以上、人数四分之三以上同意",
    Rule.civil_code_ordinary: "《民法典》第二百七十八条（一般事项）：参与表决的专有部分面积和人数均占三分之二以上，"
                              "且经参与表决专有部分面积过半数、人数过半数同意",
    Rule.simple_majority: "简单多数：同意人数多于反对人数",
    Rule.custom: "自定义规则（见各事项的门槛）",
}
OUTCOME_TEXT = {Outcome.passed: "通过", Outcome.rejected: "未通过", Outcome.quorum_not_met: "参与表决未达法定比例，未通过"}
RATIO_NAMES = {"participation_area": "参与表决面积占比", "participation_headcount": "参与表决人数占比",
               "approval_area": "同意面积占参与面积", "approval_headcount": "同意人数占参与人数"}


def _notice(ballot: Ballot, results: BallotResultsPublic, estate: str, project: str, issuer: str) -> bytes:
    kind = "表决结果公告" if results.final else "表决初步结果公告" if ballot.closed_at else "表决情况（统计中）"
    flow = [pdf.text(f"{estate}业主共同决定事项{kind}", "title"),
            pdf.text(f"发布单位：{issuer}　　项目：{project}　　表决事项：{ballot.title}", "small"),
            pdf.text(f"表决时间：{clock.shanghai_text(ballot.opens_at)} 至 {clock.shanghai_text(ballot.closes_at)}（北京时间）",
                     "small"),
            pdf.text(f"表决规则：{RULE_TEXT[ballot.rule]}", "small"), pdf.spacer()]
    for n, m in enumerate(results.motions, start=1):
        flow += [pdf.text(f"事项{n}：{m.title}　——　{OUTCOME_TEXT[m.outcome]}", "heading"),
                 pdf.table(["", "专有部分面积（㎡）", "人数"], [
                     ["全体业主", m.total.area, str(m.total.headcount)],
                     ["参与表决", m.participating.area, str(m.participating.headcount)],
                     ["同意", m.approve.area, str(m.approve.headcount)],
                     ["反对", m.oppose.area, str(m.oppose.headcount)],
                     ["弃权", m.abstain.area, str(m.abstain.headcount)]], [0.4, 0.3, 0.3], align_right=(1, 2)),
                 pdf.spacer(2),
                 pdf.table(["比例", "精确值", "百分比", "门槛"], [
                     [RATIO_NAMES[name], f"{r.numerator}/{r.denominator}", f"{r.percent}%",
                      _threshold(m.thresholds.get(name))] for name, r in m.ratios.items()],
                     [0.34, 0.26, 0.16, 0.24], align_right=(1, 2))]
    closed = clock.shanghai_text(ballot.closed_at) if ballot.closed_at else "（表决尚未结束，以上为当前统计）"
    flow += [pdf.spacer(), pdf.text(f"面积以0.01平方米为单位精确计算；弃权计入参与表决。公告时间：{closed}", "small")]
    if ballot.closed_at and not results.final:
        until = clock.shanghai_text(ballot.closed_at + timedelta(days=ballot.objection_days))
        flow.append(pdf.text(f"以上为初步结果。业主如有异议（投票遗漏、计票有误、无表决权人员投票等），请于{until}（北京时间）前"
                             "在小程序中提出，或向社区、网格员书面提出。异议期满且异议均已答复后，结果生效并另行公告。", "small"))
    elif results.final and ballot.finalized_at:
        flow.append(pdf.text(f"异议期已满，异议均已答复，本结果于{clock.shanghai_text(ballot.finalized_at)}生效。", "small"))
    flow += [pdf.spacer(), pdf.with_qr(board_link(ballot), "扫描二维码在公示栏查看表决结果，或凭回执码核对本户表决已计入：")]
    return pdf.document(flow, f"{kind}：{ballot.title}")


def board_link(ballot: Ballot) -> str:
    return public_url(f"/public/ballots/{ballot.id}")


def _announcement(ballot: Ballot, motions: list[str], estate: str, project: str, scope: str, issuer: str) -> bytes:
    opens, closes = clock.shanghai_text(ballot.opens_at), clock.shanghai_text(ballot.closes_at)
    announced = clock.shanghai_text(ballot.announced_at) if ballot.announced_at else ""
    flow = [pdf.text(f"{estate}业主共同决定事项表决公告", "title"),
            pdf.text(f"发布单位：{issuer}　　项目：{project}　　公告时间：{announced}（北京时间）", "small"), pdf.spacer(),
            pdf.text(f"一、表决事项：{ballot.title}", "heading")]
    flow += [pdf.text(f"　　{n}. {title}") for n, title in enumerate(motions, start=1)]
    if ballot.description:
        flow.append(pdf.text(f"　　说明：{ballot.description}", "small"))
    flow += [pdf.text(f"二、表决范围：{scope}", "heading"),
             pdf.text(f"三、表决时间：{opens} 至 {closes}（北京时间）", "heading"),
             pdf.text(f"四、表决规则：{RULE_TEXT[ballot.rule]}。专有部分面积按不动产登记面积计算，业主人数按专有部分数量"
                      "计算，一人拥有多个专有部分的按一人计算；弃权计入参与表决。", "small"),
             pdf.text("五、表决方式", "heading"),
             pdf.text("　　1. 网上表决：已绑定房屋的业主在小程序“表决”页面投票，每户一票，提交后获得回执码；"
                      f"网上投票须完成身份核验（{ASSURANCE_TEXT[ballot.min_assurance]}及以上）。", "small"),
             pdf.text("　　2. 书面表决：不便网上投票的业主可填写书面表决票，由网格员上门收取并录入，"
                      "书面表决票原件留存备查。", "small"),
             pdf.text("六、选民名册核对", "heading"),
             pdf.text(f"　　自本公告之日起至{opens}前，业主可在小程序中查看本次表决的选民名册（房号、面积、登记业主人数），"
                      "如发现面积有误、漏登或房屋已转让，请附证明材料申请更正；所有更正申请答复后方可开始表决。", "small"),
             pdf.text("七、结果与异议", "heading"),
             pdf.text(f"　　表决结束后公布初步结果，自结束之日起{ballot.objection_days}日内业主可提出异议；"
                      "异议期满且异议均已答复后结果生效，另行公告。每户可凭回执码在公示栏核对本户表决已计入。", "small"),
             pdf.spacer(),
             pdf.text("依据：《中华人民共和国民法典》第二百七十八条、第二百八十条；《物业管理条例》第十四条"
                      "（业主大会会议应当于会议召开15日以前通知全体业主）。", "small"),
             pdf.spacer(), pdf.with_qr(board_link(ballot), "扫描二维码在公示栏查看本公告、表决进展和结果：")]
    return pdf.document(flow, f"表决公告：{ballot.title}")


ASSURANCE_TEXT = {Assurance.invite_code: "邀请码绑定", Assurance.phone_match: "手机号核验",
                  Assurance.provider: "实名认证", Assurance.in_person: "网格员当面核验证件"}


async def announcement(session: AsyncSession, ballot: Ballot) -> bytes:
    estate = await registry.estate(session, ballot.estate_id)
    project = await projects.project(session, ballot.project_id)
    titles = [m.title for m in (await service.motions(session, [ballot.id]))[ballot.id]]
    scope = "全小区"
    if ballot.building_ids or ballot.entrance_ids:
        units = await registry.units(session, ballot.estate_id,
                                     building_ids=[uuid.UUID(b) for b in ballot.building_ids] or None,
                                     entrance_ids=[uuid.UUID(e) for e in ballot.entrance_ids] or None)
        scope = "、".join(dict.fromkeys(f"{u.building_name}{u.entrance_name}" for u in units)) or "（无房屋）"
    return await pools.run_in(pools.DOCUMENTS, _announcement, ballot, titles, estate.name if estate else "",
                              project.name if project else "", scope, estate.issuer if estate else "")


def _threshold(t) -> str:
    if t is None:
        return "不计"
    return f"{'大于' if t.strict else '不低于'}{t.fraction}"


async def notice(session: AsyncSession, ballot: Ballot, results: BallotResultsPublic) -> bytes:
    estate = await registry.estate(session, ballot.estate_id)
    project = await projects.project(session, ballot.project_id)
    return await pools.run_in(pools.DOCUMENTS, _notice, ballot, results, estate.name if estate else "",
                              project.name if project else "", estate.issuer if estate else "")
