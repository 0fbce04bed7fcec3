/**
 * The course's diagrams, drawn as SVG by the code below (written for the course,
 * no network, no images copied from elsewhere).
 *
 *   diagram("attention")      shows it in the notebook (image/svg+xml + a text description)
 *   diagramSvg("attention")   the SVG text
 *
 * Each diagram draws its own light card (white background, dark text, mid-tone
 * colours with dark outlines), so it reads the same in light and dark themes and
 * in the static site. The text/plain fallback describes the diagram in words.
 */
import { displayBundle } from "./display";
import type { PipelineNumbers } from "../training/capstone";

const INK = "#1e293b";
const MUTED = "#475569";
const COLORS = {
  blue: "#dbeafe",
  green: "#dcfce7",
  amber: "#fef3c7",
  rose: "#ffe4e6",
  violet: "#ede9fe",
  slate: "#f1f5f9",
  teal: "#ccfbf1",
};
const STROKES: Record<keyof typeof COLORS, string> = {
  blue: "#1d4ed8",
  green: "#15803d",
  amber: "#b45309",
  rose: "#be123c",
  violet: "#6d28d9",
  slate: "#475569",
  teal: "#0f766e",
};
type Colour = keyof typeof COLORS;

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const FONT = `font-family="Noto Sans KR, Apple SD Gothic Neo, Malgun Gothic, Segoe UI, Helvetica, Arial, sans-serif"`;

function text(x: number, y: number, s: string, opts: { size?: number; anchor?: "start" | "middle" | "end"; weight?: string; colour?: string; mono?: boolean } = {}): string {
  const family = opts.mono ? ` font-family="Menlo, Consolas, DejaVu Sans Mono, monospace"` : "";
  return `<text x="${x}" y="${y}" font-size="${opts.size ?? 13}" text-anchor="${opts.anchor ?? "middle"}" dominant-baseline="middle" fill="${opts.colour ?? INK}"${opts.weight ? ` font-weight="${opts.weight}"` : ""}${family}>${esc(s)}</text>`;
}

function box(x: number, y: number, w: number, h: number, label: string, colour: Colour, sub?: string, opts: { mono?: boolean; size?: number } = {}): string {
  const lines = [`<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="7" fill="${COLORS[colour]}" stroke="${STROKES[colour]}" stroke-width="1.5"/>`];
  if (sub) {
    lines.push(text(x + w / 2, y + h / 2 - 8, label, { weight: "bold", size: opts.size, mono: opts.mono }));
    lines.push(text(x + w / 2, y + h / 2 + 10, sub, { size: 11, colour: MUTED, mono: opts.mono }));
  } else {
    lines.push(text(x + w / 2, y + h / 2, label, { weight: "bold", size: opts.size, mono: opts.mono }));
  }
  return lines.join("");
}

function arrow(x1: number, y1: number, x2: number, y2: number, label?: string, opts: { dashed?: boolean; labelDx?: number; labelDy?: number } = {}): string {
  const dash = opts.dashed ? ` stroke-dasharray="5 4"` : "";
  const line = `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${INK}" stroke-width="1.6" marker-end="url(#arrow)"${dash}/>`;
  if (!label) return line;
  const lx = (x1 + x2) / 2 + (opts.labelDx ?? 0);
  const ly = (y1 + y2) / 2 + (opts.labelDy ?? -9);
  return line + text(lx, ly, label, { size: 11, colour: MUTED });
}

/** A path with an arrow head (for residual connections that go around boxes). */
function path(d: string, opts: { dashed?: boolean; colour?: string } = {}): string {
  return `<path d="${d}" fill="none" stroke="${opts.colour ?? INK}" stroke-width="1.6" marker-end="url(#arrow)"${opts.dashed ? ` stroke-dasharray="5 4"` : ""}/>`;
}

function card(width: number, height: number, title: string, body: string[]): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} role="img" aria-label="${esc(title)}">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${INK}"/></marker></defs>` +
    `<rect x="1" y="1" width="${width - 2}" height="${height - 2}" rx="10" fill="#ffffff" stroke="#cbd5e1" stroke-width="1.5"/>` +
    text(16, 22, title, { anchor: "start", weight: "bold", size: 15 }) +
    body.join("") +
    `</svg>`
  );
}

function tokenization(): string {
  const y = 60;
  const b: string[] = [];
  b.push(box(20, y, 150, 60, "text", "blue", "은행 앞에"));
  b.push(arrow(170, y + 30, 210, y + 30, "UTF-8"));
  b.push(box(210, y, 210, 60, "bytes (0–255)", "amber", "EC 9D 80 ED 96 89 20 …", { mono: false }));
  b.push(arrow(420, y + 30, 460, y + 30, "merge"));
  b.push(box(460, y, 190, 60, "merges, in order", "violet", "(EC 9D)→256, (256 80)→257 …"));
  b.push(arrow(650, y + 30, 690, y + 30));
  b.push(box(690, y, 150, 60, "token ids", "green", "[은행] [ 앞에]"));
  b.push(text(95, y + 85, "what people write", { size: 11, colour: MUTED }));
  b.push(text(315, y + 85, "3 bytes per Hangul syllable", { size: 11, colour: MUTED }));
  b.push(text(555, y + 85, "learned by BPE from a corpus", { size: 11, colour: MUTED }));
  b.push(text(765, y + 85, "what the model reads", { size: 11, colour: MUTED }));
  b.push(path(`M 765 ${y + 100} C 765 ${y + 140}, 95 ${y + 140}, 95 ${y + 100}`, { dashed: true }));
  b.push(text(430, y + 150, "decoding goes back: ids → bytes of each token → UTF-8 text (nothing is lost)", { size: 12, colour: MUTED }));
  return card(860, 230, "Tokenization: text → bytes → merges → ids", b);
}

function attention(): string {
  const b: string[] = [];
  b.push(box(20, 130, 90, 56, "X", "blue", "(T, d)"));
  const rows = [
    { y: 50, name: "Q = X·W_q", sub: "what I look for", w: "W_q" },
    { y: 130, name: "K = X·W_k", sub: "what I offer", w: "W_k" },
    { y: 210, name: "V = X·W_v", sub: "what I hand over", w: "W_v" },
  ];
  for (const r of rows) {
    b.push(arrow(110, 158, 170, r.y + 28));
    b.push(box(170, r.y, 130, 56, r.name, "violet", r.sub));
  }
  b.push(arrow(300, 78, 360, 118));
  b.push(arrow(300, 158, 360, 138));
  b.push(box(360, 100, 130, 56, "Q·Kᵀ / √d", "amber", "scores (T, T)"));
  b.push(arrow(490, 128, 520, 128));
  b.push(box(520, 100, 110, 56, "mask", "rose", "GPT: causal"));
  b.push(arrow(630, 128, 660, 128));
  b.push(box(660, 100, 110, 56, "softmax", "amber", "rows sum to 1"));
  b.push(arrow(715, 156, 715, 200, "weights (T, T)", { labelDx: 48, labelDy: 0 }));
  b.push(box(660, 200, 110, 56, "weights · V", "green", "(T, d)"));
  b.push(arrow(300, 238, 660, 228));
  b.push(arrow(770, 228, 800, 228));
  b.push(box(800, 200, 100, 56, "· W_o", "violet", "output (T, d)"));
  b.push(text(460, 300, "softmax(Q·Kᵀ / √d) · V — every token mixes the values of the tokens it attends to", { size: 12, colour: MUTED }));
  return card(920, 325, "Self-attention with learned projections", b);
}

function causalMask(): string {
  const words = ["은행", "앞에", "가서", "돈을", "찾았다"];
  const b: string[] = [];
  const x0 = 130;
  const y0 = 80;
  const s = 52;
  words.forEach((w, j) => b.push(text(x0 + j * s + s / 2, y0 - 14, w, { size: 12 })));
  words.forEach((w, i) => b.push(text(x0 - 10, y0 + i * s + s / 2, w, { size: 12, anchor: "end" })));
  for (let i = 0; i < words.length; i++) {
    for (let j = 0; j < words.length; j++) {
      const ok = j <= i;
      b.push(`<rect x="${x0 + j * s}" y="${y0 + i * s}" width="${s - 4}" height="${s - 4}" rx="4" fill="${ok ? COLORS.blue : "#e2e8f0"}" stroke="${ok ? STROKES.blue : "#94a3b8"}" stroke-width="1.2"/>`);
      b.push(text(x0 + j * s + (s - 4) / 2, y0 + i * s + (s - 4) / 2, ok ? "1" : "0 ✕", { size: 12, colour: ok ? INK : MUTED }));
    }
  }
  b.push(text(x0 + 2.5 * s, y0 + 5 * s + 18, "key j (looked at)", { size: 12, colour: MUTED }));
  b.push(text(40, y0 - 14, "query i ↓", { size: 12, colour: MUTED, anchor: "start" }));
  const tx = 430;
  b.push(text(tx, 100, "Row i: what token i may look at.", { anchor: "start", size: 13 }));
  b.push(text(tx, 125, "1 = allowed (key j ≤ query i)", { anchor: "start", size: 13 }));
  b.push(text(tx, 150, "0 = the future: its score becomes −∞,", { anchor: "start", size: 13 }));
  b.push(text(tx, 170, "so its softmax weight is exactly 0.", { anchor: "start", size: 13 }));
  b.push(text(tx, 205, "The row of 돈을 sees 은행 앞에 가서 돈을,", { anchor: "start", size: 13 }));
  b.push(text(tx, 225, "never 찾았다: that is what it must predict.", { anchor: "start", size: 13 }));
  b.push(text(tx, 260, "A model with this mask is decoder-only and", { anchor: "start", size: 13 }));
  b.push(text(tx, 280, "autoregressive: it writes one token at a time,", { anchor: "start", size: 13 }));
  b.push(text(tx, 300, "each from the ones before.", { anchor: "start", size: 13 }));
  return card(760, 370, "The causal mask", b);
}

function multiHead(): string {
  const b: string[] = [];
  const cols: Colour[] = ["blue", "green", "amber", "rose"];
  // the (T, C) matrix, split into 4 column blocks
  b.push(text(110, 52, "Q, K or V: (T, C)", { size: 12, colour: MUTED }));
  cols.forEach((c, h) => b.push(`<rect x="${40 + h * 36}" y="66" width="36" height="120" fill="${COLORS[c]}" stroke="${STROKES[c]}" stroke-width="1.3"/>`));
  cols.forEach((_, h) => b.push(text(58 + h * 36, 126, `h${h}`, { size: 12 })));
  b.push(text(112, 204, "split the C features into H slices of C/H", { size: 11, colour: MUTED }));
  cols.forEach((c, h) => {
    const y = 50 + h * 42;
    b.push(arrow(190, 126, 260, y + 16));
    b.push(box(260, y, 200, 32, `head ${h}: attention`, c, undefined, { size: 12 }));
    b.push(arrow(460, y + 16, 530, 126));
  });
  b.push(text(360, 230, "each head: its own softmax(q·kᵀ/√(C/H))·v", { size: 11, colour: MUTED }));
  cols.forEach((c, h) => b.push(`<rect x="${530 + h * 36}" y="66" width="36" height="120" fill="${COLORS[c]}" stroke="${STROKES[c]}" stroke-width="1.3"/>`));
  b.push(text(602, 52, "merge: heads side by side (T, C)", { size: 12, colour: MUTED }));
  b.push(arrow(678, 126, 720, 126));
  b.push(box(720, 98, 110, 56, "· W_o", "violet", "mixes the heads"));
  b.push(text(440, 262, "split and merge only move numbers; W_o is where the heads' results are combined", { size: 12, colour: MUTED }));
  return card(860, 285, "Multi-head attention: split, attend, merge", b);
}

function block(): string {
  const b: string[] = [];
  const cx = 200;
  const w = 190;
  const x = cx - w / 2;
  b.push(box(x, 470, w, 40, "x  (T, d)", "blue"));
  b.push(arrow(cx, 470, cx, 430));
  b.push(box(x, 390, w, 40, "LayerNorm₁", "slate"));
  b.push(arrow(cx, 390, cx, 360));
  b.push(box(x, 310, w, 50, "causal self-attention", "violet", "tokens look at each other"));
  b.push(arrow(cx, 310, cx, 282));
  b.push(`<circle cx="${cx}" cy="270" r="12" fill="#fff" stroke="${INK}" stroke-width="1.6"/>` + text(cx, 270, "+", { size: 18, weight: "bold" }));
  b.push(path(`M ${x + w} 490 L ${x + w + 40} 490 L ${x + w + 40} 270 L ${cx + 14} 270`));
  b.push(text(x + w + 46, 380, "residual", { size: 11, colour: MUTED, anchor: "start" }));
  b.push(arrow(cx, 258, cx, 228));
  b.push(box(x, 188, w, 40, "LayerNorm₂", "slate"));
  b.push(arrow(cx, 188, cx, 158));
  b.push(box(x, 108, w, 50, "feed-forward", "green", "GELU, each token alone"));
  b.push(arrow(cx, 108, cx, 82));
  b.push(`<circle cx="${cx}" cy="70" r="12" fill="#fff" stroke="${INK}" stroke-width="1.6"/>` + text(cx, 70, "+", { size: 18, weight: "bold" }));
  b.push(`<path d="M ${cx} 244 L ${x + w + 90} 244" fill="none" stroke="${INK}" stroke-width="1.6"/>`);
  b.push(path(`M ${x + w + 90} 244 L ${x + w + 90} 70 L ${cx + 14} 70`));
  b.push(`<circle cx="${cx}" cy="244" r="3" fill="${INK}"/>`);
  b.push(text(x + w + 96, 160, "residual", { size: 11, colour: MUTED, anchor: "start" }));
  b.push(arrow(cx, 58, cx, 40));
  b.push(text(cx + 8, 34, "to the next block (T, d)", { size: 11, colour: MUTED, anchor: "start" }));
  const tx = 420;
  b.push(text(tx, 90, "x = x + FeedForward(LayerNorm₂(x))", { anchor: "start", mono: true, size: 12 }));
  b.push(text(tx, 290, "x = x + Attention(LayerNorm₁(x))", { anchor: "start", mono: true, size: 12 }));
  b.push(text(tx, 400, "Pre-LN (GPT-2): normalise before each branch,", { anchor: "start", size: 12 }));
  b.push(text(tx, 420, "add the branch to x. The 2017 paper normalised", { anchor: "start", size: 12 }));
  b.push(text(tx, 440, "after the addition (post-LN).", { anchor: "start", size: 12 }));
  b.push(text(tx, 470, "Read bottom to top; a GPT stacks nLayers blocks.", { anchor: "start", size: 12, colour: MUTED }));
  return card(760, 550, "One Transformer block (pre-LN)", [`<g transform="translate(0,20)">`, ...b, `</g>`]);
}

function encoderDecoder(): string {
  const b: string[] = [];
  const stack = (x: number, title: string, parts: { name: string; sub: string; colour: Colour }[], input: string, n: string) => {
    b.push(text(x + 90, 52, title, { weight: "bold", size: 13 }));
    b.push(`<rect x="${x - 10}" y="66" width="200" height="${parts.length * 58 + 14}" rx="10" fill="none" stroke="#94a3b8" stroke-dasharray="6 4"/>`);
    b.push(text(x + 200, 80, n, { size: 11, colour: MUTED, anchor: "start" }));
    parts.forEach((p, i) => b.push(box(x, 74 + (parts.length - 1 - i) * 58, 180, 48, p.name, p.colour, p.sub, { size: 12 })));
    const bottom = 66 + parts.length * 58 + 14;
    b.push(arrow(x + 90, bottom + 36, x + 90, bottom + 2));
    b.push(text(x + 90, bottom + 48, input, { size: 11, colour: MUTED }));
    return bottom;
  };
  stack(30, "encoder", [
    { name: "self-attention", sub: "every token sees all", colour: "blue" },
    { name: "feed-forward", sub: "", colour: "green" },
  ], "source: 은행 앞에 가서 …", "× N");
  stack(300, "decoder", [
    { name: "masked self-attention", sub: "causal", colour: "rose" },
    { name: "cross-attention", sub: "looks at the encoder", colour: "amber" },
    { name: "feed-forward", sub: "", colour: "green" },
  ], "target so far: I went to …", "× N");
  b.push(path("M 212 98 C 255 98, 255 156, 296 156"));
  b.push(text(252, 80, "encoder output", { size: 10, colour: MUTED }));
  stack(580, "decoder-only (GPT)", [
    { name: "masked self-attention", sub: "causal", colour: "rose" },
    { name: "feed-forward", sub: "", colour: "green" },
  ], "prompt + text so far", "× N");
  b.push(text(430, 330, "2017 Transformer: encoder + decoder (translation). GPT keeps only the decoder's causal stack:", { size: 12, colour: MUTED }));
  b.push(text(430, 350, "it is autoregressive — each new token is predicted from the tokens before it.", { size: 12, colour: MUTED }));
  return card(860, 372, "Encoder, decoder, decoder-only", b);
}

function stages(): string {
  const b: string[] = [];
  const y = 62;
  b.push(box(20, y, 220, 70, "1. pre-training (사전 학습)", "blue", "next-token prediction on raw text"));
  b.push(arrow(240, y + 35, 290, y + 35));
  b.push(box(290, y, 220, 70, "2. fine-tuning (미세 조정)", "green", "questions → good answers"));
  b.push(arrow(510, y + 35, 560, y + 35));
  b.push(box(560, y, 240, 70, "3. RLHF (강화 학습)", "amber", "rankings → reward model → tuning"));
  b.push(text(130, y + 92, "self-supervised: no labels", { size: 11, colour: MUTED }));
  b.push(text(130, y + 108, "chapters 01–06", { size: 11, colour: MUTED }));
  b.push(text(400, y + 92, "supervised: written examples", { size: 11, colour: MUTED }));
  b.push(text(400, y + 108, "chapter 07", { size: 11, colour: MUTED }));
  b.push(text(680, y + 92, "human preferences (or AI: RLAIF, DPO)", { size: 11, colour: MUTED }));
  b.push(text(680, y + 108, "chapter 08", { size: 11, colour: MUTED }));
  b.push(text(410, y + 140, "scale brings in-context learning; following instructions comes mostly from stages 2 and 3", { size: 12, colour: MUTED }));
  return card(820, 225, "How an LLM is trained: three stages", b);
}

function nextTokenWindows(): string {
  const b: string[] = [];
  const words = ["은행", " 앞에", " 가서", " 돈을", " 찾았다", "."];
  const x0 = 30;
  const w = 110;
  b.push(text(x0, 58, "input (a window of T = 5 tokens)", { size: 12, anchor: "start", colour: MUTED }));
  b.push(text(x0, 196, "targets: the same text shifted by one", { size: 12, anchor: "start", colour: MUTED }));
  for (let i = 0; i < 5; i++) {
    const x = x0 + i * (w + 14);
    b.push(box(x, 70, w, 40, JSON.stringify(words[i]), "blue", undefined, { mono: true, size: 12 }));
    b.push(arrow(x + w / 2, 112, x + w / 2, 150, `Q${i + 1}`, { labelDx: 16 }));
    b.push(box(x, 152, w, 34, JSON.stringify(words[i + 1]), "green", undefined, { mono: true, size: 12 }));
  }
  b.push(text(x0, 226, "one window = T next-token questions at once; question t sees only tokens 1 … t (the causal mask).", { size: 12, anchor: "start", colour: MUTED }));
  b.push(text(x0, 244, "The labels are the text itself (self-supervised): loss = mean of −log p(target) over the T questions.", { size: 12, anchor: "start", colour: MUTED }));
  return card(680, 262, "Pre-training: next-token prediction", b);
}

function rlhf(): string {
  const b: string[] = [];
  // Row 1: the data and the reward model.
  b.push(box(20, 56, 170, 58, "π_SFT answers", "green", "k answers per question"));
  b.push(arrow(190, 85, 240, 85));
  b.push(box(240, 56, 170, 58, "people rank them", "violet", "A > B > C > D"));
  b.push(arrow(410, 85, 460, 85, "C(K, 2) pairs", { labelDy: -14 }));
  b.push(box(460, 56, 190, 58, "reward model r(x, y)", "amber", "−log σ(r_w − r_l)"));
  // Row 2: RL with the leash.
  b.push(arrow(555, 114, 555, 160));
  b.push(box(380, 160, 350, 66, "RL: policy π samples, r scores", "rose", "reward = r − β·(log π − log π_ref)"));
  b.push(box(40, 166, 220, 54, "π_ref (frozen π_SFT)", "slate", "the KL leash"));
  b.push(arrow(260, 193, 380, 193, "log π_ref", { labelDy: -12 }));
  b.push(arrow(730, 193, 770, 193));
  b.push(box(770, 160, 90, 66, "aligned π", "blue"));
  // RLAIF: the judge replaces people.
  b.push(box(240, 256, 170, 52, "AI judge", "teal", "fitted to 50 human pairs"));
  b.push(arrow(325, 256, 325, 114, "RLAIF: labels", { dashed: true, labelDx: 46 }));
  // DPO: no reward model, no sampling.
  b.push(box(460, 256, 270, 52, "DPO: pairs → π directly", "blue", "−log σ(β·[Δ log-ratio])"));
  b.push(arrow(410, 100, 470, 256, "", { dashed: true }));
  b.push(arrow(730, 282, 815, 226, "", { dashed: true }));
  b.push(text(450, 334, "RLHF: rankings → reward model → RL with a KL penalty. RLAIF: an AI labels instead of people. DPO: the same pairs, no reward model.", { size: 11, colour: MUTED }));
  return card(880, 352, "Stage 3: learning from preferences", b);
}

/** Chapter 09: a fact put to the model as a closed set of answers. */
function factProbe(): string {
  const b: string[] = [];
  b.push(box(20, 95, 200, 70, "prompt", "blue", "Q: What pet does Sua Shin have?", { size: 13 }));
  b.push(text(120, 180, "A:", { size: 12, colour: MUTED, mono: true }));
  const rows = [
    { s: " Sua Shin has a cat. ⟨end⟩", lp: "−0.9", p: 0.62 },
    { s: " Sua Shin has a dog. ⟨end⟩", lp: "−2.3", p: 0.15 },
    { s: " Sua Shin has a turtle. ⟨end⟩", lp: "−2.6", p: 0.11 },
    { s: "… one row per possible value", lp: "…", p: 0.12 },
  ];
  rows.forEach((r, i) => {
    const y = 48 + i * 46;
    b.push(arrow(220, 130, 262, y + 17));
    b.push(box(265, y, 250, 34, r.s, i === 3 ? "slate" : "amber", undefined, { mono: i !== 3, size: 11 }));
    b.push(text(560, y + 17, r.lp, { size: 12, mono: true }));
    const w = Math.round(r.p * 190);
    b.push(`<rect x="610" y="${y + 6}" width="${w}" height="22" rx="3" fill="${COLORS.green}" stroke="${STROKES.green}" stroke-width="1.2"/>`);
    b.push(text(616 + w, y + 17, r.p.toFixed(2), { size: 11, anchor: "start" }));
  });
  b.push(text(560, 36, "log p(answer)", { size: 11, colour: MUTED }));
  b.push(text(700, 36, "normalised over the values", { size: 11, colour: MUTED }));
  b.push(text(20, 246, "The model's answer = the most probable value; its confidence = that probability;", { size: 12, anchor: "start", colour: MUTED }));
  b.push(text(20, 264, "entropy = −Σ p·ln p of the bars; chance = 1 / number of values (10 pets, 12 towns, 13 jobs, 12 foods).", { size: 12, anchor: "start", colour: MUTED }));
  b.push(text(20, 282, "The base model reads the corpus's header line (\"Notes about the residents.\") and each version of the sentence instead.", { size: 12, anchor: "start", colour: MUTED }));
  return card(860, 300, "Probing a fact: every possible answer, scored", b);
}

// ---------------------------------------------------------------- the one-page map (chapter 10)

/** The numbers written into the one-page map (lib/training/capstone's PipelineNumbers); every one is measured by the caller (chapter 10, `npm run map`). */
export type CourseMapNumbers = PipelineNumbers;

const fmt = {
  int: (n: number) => Math.round(n).toLocaleString("en-US"),
  short: (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)} k` : n.toFixed(0)),
  p: (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "–"),
};

/** The one-page map's text lines, box by box (also its text/plain fallback). */
export function courseMapLines(n: CourseMapNumbers): Record<string, string[]> {
  return {
    text: ["text", "은행 앞에 가서 돈을 찾았다"],
    tokens: ["tokens (01)", `BPE, V = ${fmt.int(n.vocabSize)}`, `chars/token: en ${n.charsPerToken.en.toFixed(1)} · ko ${n.charsPerToken.ko.toFixed(1)}`],
    embeddings: ["embeddings (03)", `d = ${n.dModel} · context ${n.contextLength}`],
    blocks: [`Transformer blocks × ${n.nLayers} (03)`, `self-attention, ${n.nHeads} heads (02)`, `N = ${fmt.short(n.params)} parameters`],
    probs: ["next-token probabilities", `val loss ${n.pretraining.valLoss.toFixed(2)} nats`, `perplexity ${Math.exp(n.pretraining.valLoss).toFixed(2)}`],
    generation: ["generation (05)", "one token per step, fed back", `${fmt.int(n.generation.tokensPerSecond)} tokens/s`],
    stage1: ["1 · pre-training (06)", "predict the next token of raw text", `${fmt.short(n.pretraining.tokensSeen)} tokens seen · val loss ${n.pretraining.valLoss.toFixed(2)}`],
    stage2: ["2 · fine-tuning (07)", `${fmt.int(n.fineTuning.examples)} question → answer examples`, `exact answers: facts seen ≥ 10× ${fmt.p(n.fineTuning.exactOften)} · never ${fmt.p(n.fineTuning.exactNever)}`],
    stage3: [`3 · ${n.alignment.method} (08)`, `polite ${fmt.p(n.alignment.politeBefore)} → ${fmt.p(n.alignment.politeAfter)}`, `correct ${fmt.p(n.alignment.correctBefore)} → ${fmt.p(n.alignment.correctAfter)}`],
    hallucination: ["hallucination (09)", `never-seen facts answered wrong: ${fmt.p(n.hallucination.neverSeenWrong)}`, `at confidence ${fmt.p(n.hallucination.confidence)} · ECE ${fmt.p(n.hallucination.ece)} → cross-check`],
  };
}

/** The one-page map (LLM 작동의 핵심 원리 한 장 정리) as SVG, every box labelled with measured numbers. */
export function courseMapSvg(n: CourseMapNumbers): string {
  const L = courseMapLines(n);
  const b: string[] = [];
  const multi = (x: number, y: number, w: number, h: number, lines: string[], colour: Colour) => {
    b.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="7" fill="${COLORS[colour]}" stroke="${STROKES[colour]}" stroke-width="1.5"/>`);
    const top = y + h / 2 - ((lines.length - 1) * 16) / 2;
    lines.forEach((l, i) => b.push(text(x + w / 2, top + i * 16, l, i === 0 ? { weight: "bold", size: 13 } : { size: 11, colour: MUTED })));
  };
  b.push(text(16, 44, `numbers: ${n.source}`, { anchor: "start", size: 12, colour: MUTED }));
  // Row 1: what happens to one prompt.
  b.push(text(16, 72, "USING the model (inference)", { anchor: "start", size: 12, weight: "bold", colour: MUTED }));
  const y1 = 84;
  const h1 = 74;
  const xs = [16, 176, 356, 516, 726, 906];
  const ws = [140, 160, 140, 190, 160, 150];
  const keys = ["text", "tokens", "embeddings", "blocks", "probs", "generation"];
  const colours: Colour[] = ["slate", "blue", "violet", "amber", "green", "teal"];
  keys.forEach((k, i) => multi(xs[i], y1, ws[i], h1, L[k], colours[i]));
  for (let i = 0; i + 1 < keys.length; i++) b.push(arrow(xs[i] + ws[i], y1 + h1 / 2, xs[i + 1], y1 + h1 / 2));
  b.push(path(`M ${xs[5] + ws[5] / 2} ${y1 + h1} C ${xs[5] + ws[5] / 2} ${y1 + h1 + 34}, ${xs[1] + ws[1] / 2} ${y1 + h1 + 34}, ${xs[1] + ws[1] / 2} ${y1 + h1 + 2}`, { dashed: true }));
  b.push(text((xs[1] + xs[5] + ws[5]) / 2, y1 + h1 + 40, "autoregressive: the sampled token is appended and the loop runs again", { size: 11, colour: MUTED }));
  // Row 2: how the weights were made.
  b.push(text(16, 250, "MAKING the model (training, three stages)", { anchor: "start", size: 12, weight: "bold", colour: MUTED }));
  const y2 = 262;
  const h2 = 78;
  multi(16, y2, 320, h2, L.stage1, "blue");
  b.push(arrow(336, y2 + h2 / 2, 372, y2 + h2 / 2));
  multi(372, y2, 330, h2, L.stage2, "green");
  b.push(arrow(702, y2 + h2 / 2, 738, y2 + h2 / 2));
  multi(738, y2, 318, h2, L.stage3, "amber");
  b.push(text(176, y2 + h2 + 16, "self-supervised: the text is its own answer key", { size: 11, colour: MUTED }));
  b.push(text(537, y2 + h2 + 16, "supervised: the prompt masked, the end token kept", { size: 11, colour: MUTED }));
  b.push(text(897, y2 + h2 + 16, "rankings → pairs → preferences (RLHF, RLAIF, DPO)", { size: 11, colour: MUTED }));
  // Row 3: the caveat and the three key words.
  const y3 = 384;
  multi(16, y3, 440, 70, L.hallucination, "rose");
  multi(476, y3, 580, 70, ["three key words (10)", "Transformer: parallel over the whole text → big models", "self-attention: every word sees every earlier word · RLHF: what people prefer"], "slate");
  return card(1072, 470, "LLM 작동의 핵심 원리 한 장 정리 — how an LLM works, on one page", b).replace(/id="arrow"/g, 'id="arrow-course-map"').replace(/url\(#arrow\)/g, "url(#arrow-course-map)");
}

/** The map's text/plain fallback: every box's lines. */
export function courseMapText(n: CourseMapNumbers): string {
  const L = courseMapLines(n);
  return [`[one-page map — ${n.source}]`, ...Object.values(L).map((lines) => `  ${lines[0]}: ${lines.slice(1).join("; ")}`)].join("\n");
}

/** Show the one-page map in the notebook. */
export function courseMap(n: CourseMapNumbers): void {
  if (!displayBundle({ "image/svg+xml": courseMapSvg(n), "text/plain": courseMapText(n) })) console.log(courseMapText(n));
}

const DIAGRAMS: Record<string, { svg: () => string; text: string }> = {
  stages: {
    svg: stages,
    text: "Three training stages: 1. pre-training (next-token prediction on raw text, self-supervised; chapters 01–06) → 2. fine-tuning on written examples (chapter 07) → 3. RLHF: rankings → reward model → tuning (chapter 08).",
  },
  tokenization: {
    svg: tokenization,
    text: "Tokenization: text (은행 앞에) → UTF-8 bytes (EC 9D 80 ED 96 89 20 …, 3 per Hangul syllable) → BPE merges applied in the order they were learned → token ids. Decoding reverses it: ids → bytes → text.",
  },
  attention: {
    svg: attention,
    text: "Self-attention: X (T, d) → Q = X·W_q, K = X·W_k, V = X·W_v → scores Q·Kᵀ/√d (T, T) → mask (causal for GPT) → softmax per row → weights·V → output projection W_o.",
  },
  "causal-mask": {
    svg: causalMask,
    text: "The causal mask for 은행 앞에 가서 돈을 찾았다: a lower-triangular 5×5 grid; row i (query) may look at keys j ≤ i (1), never at later tokens (0, score −∞, weight 0).",
  },
  "multi-head": {
    svg: multiHead,
    text: "Multi-head attention: Q, K, V (T, C) are split into H column slices of C/H features; each head runs its own attention; the outputs are put side by side again (T, C) and mixed by W_o.",
  },
  block: {
    svg: block,
    text: "A pre-LN Transformer block, bottom to top: x → LayerNorm₁ → causal self-attention → + x (residual) → LayerNorm₂ → feed-forward (GELU) → + (residual) → next block.",
  },
  "next-token-windows": {
    svg: nextTokenWindows,
    text: "Pre-training: a window of T tokens (은행 | 앞에 | 가서 | 돈을 | 찾았다) is the input; the targets are the same text shifted by one (앞에 | 가서 | 돈을 | 찾았다 | .). One window is T next-token questions at once; question t sees only tokens 1 … t. The labels are the text itself.",
  },
  rlhf: {
    svg: rlhf,
    text: "Stage 3: π_SFT writes k answers per question → people rank them → C(K, 2) pairs → a reward model trained with −log σ(r_w − r_l) → RL: the policy samples, the reward model scores, reward = r − β·(log π − log π_ref) against the frozen reference π_ref → the aligned policy. RLAIF: an AI judge (fitted to 50 human pairs) labels the pairs instead of people. DPO: the same pairs train the policy directly, no reward model and no sampling.",
  },
  "encoder-decoder": {
    svg: encoderDecoder,
    text: "Encoder (self-attention over the whole source, feed-forward, × N) feeds the decoder's cross-attention; the decoder has masked (causal) self-attention, cross-attention and feed-forward (× N). A GPT is decoder-only: masked self-attention and feed-forward, autoregressive.",
  },
  "fact-probe": {
    svg: factProbe,
    text: "Probing a fact: the prompt (Q: What pet does Sua Shin have?\\nA:) is followed by one candidate answer per possible value ( Sua Shin has a cat. / a dog. / a turtle. …); each gets log p(answer | prompt); normalised over the values they form a distribution: the answer is the most probable value, its probability the confidence, the entropy of the distribution a second score; chance is 1 / number of values.",
  },
};

/** The names of the course's diagrams. */
export function diagramNames(): string[] {
  return Object.keys(DIAGRAMS);
}

/** One diagram's SVG text. */
export function diagramSvg(name: string): string {
  const d = DIAGRAMS[name];
  if (!d) throw new Error(`no diagram "${name}"; known: ${diagramNames().join(", ")}`);
  // One marker id per diagram: a page (the static site) may inline several SVGs.
  return d.svg().replace(/id="arrow"/g, `id="arrow-${name}"`).replace(/url\(#arrow\)/g, `url(#arrow-${name})`);
}

/** Show a diagram in the notebook (SVG, with a text description for text-only front ends). */
export function diagram(name: string): void {
  const svg = diagramSvg(name);
  const text = `[diagram] ${DIAGRAMS[name].text}`;
  if (!displayBundle({ "image/svg+xml": svg, "text/plain": text })) console.log(text);
}
