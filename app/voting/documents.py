"""The result notice (表决结果公告) as a PDF: the ballot, its rule, and for each motion every figure behind
its outcome, in the embedded Chinese font of ``app.core.pdf``."""

from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import clock, pdf, pools
from app.projects import reads as projects
from app.registry import reads as registry
from app.voting.models import Ballot
from app.voting.rules import Outcome, Rule
from app.voting.schemas import ResultsPublic

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


def _notice(ballot: Ballot, results: ResultsPublic, estate: str, project: str) -> bytes:
    flow = [pdf.text(f"{estate}业主共同决定事项表决结果公告", "title"),
            pdf.text(f"项目：{project}　　表决事项：{ballot.title}", "small"),
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
    return pdf.document(flow, f"{ballot.title}表决结果公告")


def _threshold(t) -> str:
    if t is None:
        return "不计"
    return f"{'大于' if t.strict else '不低于'}{t.fraction}"


async def notice(session: AsyncSession, ballot: Ballot, results: ResultsPublic) -> bytes:
    estate = await registry.estate(session, ballot.estate_id)
    project = await projects.project(session, ballot.project_id)
    return await pools.run_in(pools.DOCUMENTS, _notice, ballot, results, estate.name if estate else "",
                              project.name if project else "")
