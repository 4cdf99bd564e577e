// The calls the residents' mini-program makes, typed by the types openapi-typescript generates from
// openapi/openapi.json (written to ./api.d.ts by tests/client/test_typescript_client.py). If the contract
// changes under them - a field renamed, a list no longer typed, an error code gone - this stops compiling.
import type { components, paths } from "./api";

type Schemas = components["schemas"];
type Body<P extends keyof paths, M extends "post" | "put" | "patch"> =
  paths[P][M] extends { requestBody: { content: { "application/json": infer B } } } ? B : never;
type Answer<P extends keyof paths, M extends "get" | "post", S extends number> =
  paths[P][M] extends { responses: { [K in S]: { content: { "application/json": infer R } } } } ? R : never;

const BASE = "https://gaizao.example.cn";

async function call<T>(method: string, path: string, token: string | null, body?: unknown): Promise<T> {
  const response = await fetch(BASE + path, {
    method,
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await response.json()) as T;
}

// 1. Log in with the code of wx.login.
export async function login(code: string): Promise<Schemas["TokenPublic"]> {
  const body: Body<"/api/v1/auth/wechat/login", "post"> = { code };
  return call("POST", "/api/v1/auth/wechat/login", null, body);
}

// 2. Read the privacy notice, accept it, bind a unit with the printed code; a refusal is switched on by code.
export async function bind(token: string, inviteCode: string): Promise<Schemas["MyBindingPublic"] | string> {
  const notice: Answer<"/api/v1/privacy", "get", 200> = await call("GET", "/api/v1/privacy", null);
  const consent: Body<"/api/v1/me/consents", "post"> = { notice_version: notice.version, purposes: ["service"] };
  await call<Answer<"/api/v1/me/consents", "post", 200>>("POST", "/api/v1/me/consents", token, consent);
  const request: Body<"/api/v1/me/unit-bindings", "post"> = { invite_code: inviteCode };
  const answer = await call<Answer<"/api/v1/me/unit-bindings", "post", 201> |
    Answer<"/api/v1/me/unit-bindings", "post", 400> | Answer<"/api/v1/me/unit-bindings", "post", 409> |
    Answer<"/api/v1/me/unit-bindings", "post", 428> | Answer<"/api/v1/me/unit-bindings", "post", 429>>(
    "POST", "/api/v1/me/unit-bindings", token, request);
  if ("error" in answer) {
    switch (answer.error.code) {
      case "invite_code_invalid": return "邀请码无效或已过期";
      case "consent_required": return "请先同意个人信息保护告知";
      case "invite_code_throttled": return "邀请码输入错误次数过多，请稍后再试";
      default: return answer.error.message;
    }
  }
  return answer;
}

// 3. The home screen: what waits, each list typed.
export async function home(token: string): Promise<string[]> {
  const tasks: Answer<"/api/v1/me/tasks", "get", 200> = await call("GET", "/api/v1/me/tasks", token);
  const lines: string[] = [];
  const when = (at: string) => new Date(at).toLocaleString("zh-CN");
  for (const q of tasks.questionnaires ?? []) {
    lines.push(`问卷：${q.title.trim()}（${q.unit_label.trim()}）截止 ${q.closes_at ? when(q.closes_at) : "无"}`);
  }
  for (const p of tasks.plans ?? []) lines.push(`方案公示：${p.title.trim()} 第${p.version.toFixed(0)}版`);
  for (const b of tasks.ballots ?? []) lines.push(`表决：${b.title.trim()}，${when(b.closes_at)} 截止`);
  for (const s of tasks.signatures ?? []) lines.push(`验收签字：第${s.round.toFixed(0)}轮 ${s.roles.join("、")}`);
  for (const r of tasks.rectifications ?? []) {
    lines.push(`整改单${r.number.toFixed(0)}：${r.action === "respond" ? "待回复" : "待复查"}${r.overdue ? "（已逾期）" : ""}`);
  }
  return lines;
}

// 4. Answer a questionnaire for a unit.
export async function answer(token: string, task: Schemas["QuestionnaireTask"], score: number): Promise<string> {
  const body: Body<"/api/v1/questionnaires/{questionnaire_id}/responses", "post"> = {
    response_id: crypto.randomUUID(), unit_id: task.unit_id,
    answers: [{ question_id: "overall", value: score }],
  };
  const result = await call<Answer<"/api/v1/questionnaires/{questionnaire_id}/responses", "post", 201>>(
    "POST", `/api/v1/questionnaires/${task.questionnaire_id}/responses`, token, body);
  return result.status;
}

// 5. Vote, then show the receipt of the vote that counts.
export async function vote(token: string, task: Schemas["BallotTask"], motionIds: string[]): Promise<string> {
  const body: Body<"/api/v1/ballots/{ballot_id}/votes", "post"> = {
    choices: motionIds.map((motion_id) => ({ motion_id, choice: "approve" as const })),
  };
  const cast = await call<Answer<"/api/v1/ballots/{ballot_id}/votes", "post", 201> |
    Answer<"/api/v1/ballots/{ballot_id}/votes", "post", 409>>("POST", `/api/v1/ballots/${task.ballot_id}/votes`, token, body);
  if ("error" in cast) return cast.error.code === "already_voted" ? "已投票" : cast.error.message;
  const mine: Answer<"/api/v1/ballots/{ballot_id}/my-vote", "get", 200> =
    await call("GET", `/api/v1/ballots/${task.ballot_id}/my-vote`, token);
  return mine.map((v) => v.receipt).join(", ") || cast.receipt;
}
