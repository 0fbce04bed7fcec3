/**
 * An interactive attention view (in the spirit of bertviz's head view, written for
 * the course): the sentence's tokens, and clicking (or hovering) one shows where it
 * looks — in the selected head, and a small panel of every layer × head at once.
 *
 *   attentionView(tokens, attentionMaps(model, ids), { title: "…" })
 *
 * One self-contained HTML output: the weights are embedded as JSON and a short script
 * draws them (no network, no libraries), so it works offline and in the static site.
 * The text/plain fallback lists, per head, where each token looks most.
 */
import { escapeHtml, newDisplayId, quietInKernel, showHtml } from "./display";

export interface AttentionViewOptions {
  title?: string;
  /** The query token selected at first (default: the last token). */
  query?: number;
  /** The head selected at first, as [layer, head] (default [0, 0]). */
  head?: [number, number];
  /** Don't display; only return the HTML and text. */
  silent?: boolean;
}

export interface AttentionView {
  html: string;
  text: string;
}

/** Text fallback: for every layer/head, each query token → the key it weights most. */
export function attentionText(tokens: string[], maps: number[][][][]): string {
  const lines: string[] = [];
  maps.forEach((layer, l) =>
    layer.forEach((head, h) => {
      const parts = head.map((row, i) => {
        let best = 0;
        for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
        return `${tokens[i].trim() || JSON.stringify(tokens[i])}→${tokens[best].trim() || JSON.stringify(tokens[best])} ${row[best].toFixed(2)}`;
      });
      lines.push(`L${l}.H${h}: ${parts.join(", ")}`);
    }),
  );
  return lines.join("\n");
}

function shade(w: number): string {
  const a = Math.max(0, Math.min(1, w));
  const mix = (lo: number) => Math.round(255 - a * (255 - lo));
  return `rgb(${mix(29)},${mix(78)},${mix(216)})`;
}

const label = (t: string) => escapeHtml(t.replace(/ /g, "\u00a0") || "\u2205");

/** The view's first picture as plain HTML (what the script draws), for pages that do not run scripts. */
function prerender(tokens: string[], maps: number[][][][], q: number, L: number, H: number): { tokens: string; caption: string; grid: string } {
  const row = maps[L][H][q];
  const spans = tokens
    .map((t, j) => {
      const w = j <= q ? row[j] : 0;
      const style = `padding:2px 4px;margin:0 2px;border-radius:4px;border:2px solid ${j === q ? "#dc2626" : "transparent"};background:${j <= q ? shade(w) : "#f1f5f9"};color:${j <= q ? (w > 0.45 ? "#fff" : "#1e293b") : "#94a3b8"}`;
      return `<span style="${style}">${label(t)}</span>`;
    })
    .join("");
  let best = 0;
  for (let j = 1; j <= q; j++) if (row[j] > row[best]) best = j;
  const caption = `L${L}.H${H}: ${label(tokens[q])} looks most at ${label(tokens[best])} (${row[best].toFixed(2)})`;
  const head = `<tr><td></td>${maps[0].map((_, h) => `<td style="padding:2px 6px;color:#475569">head ${h}</td>`).join("")}</tr>`;
  const body = maps
    .map((layer, l) => {
      const cells = layer
        .map((hd, h) => {
          const strip = hd[q].slice(0, q + 1).map((w) => `<span style="display:inline-block;width:12px;height:12px;margin-right:1px;background:${shade(w)};border:1px solid #cbd5e1"></span>`).join("");
          return `<td style="padding:3px;border:2px solid ${l === L && h === H ? "#dc2626" : "#e2e8f0"}">${strip}</td>`;
        })
        .join("");
      return `<tr><td style="padding:2px 6px;color:#475569">layer ${l}</td>${cells}</tr>`;
    })
    .join("");
  return { tokens: spans, caption, grid: `<table style="border-collapse:collapse;font-size:11px">${head}${body}</table>` };
}

/** Show the view; returns its HTML and text. `maps` is [layer][head][query][key]. */
export function attentionView(tokens: string[], maps: number[][][][], opts: AttentionViewOptions = {}): AttentionView {
  const T = tokens.length;
  maps.forEach((layer, l) =>
    layer.forEach((head, h) => {
      if (head.length !== T || head.some((row) => row.length !== T)) throw new Error(`attentionView: layer ${l} head ${h} is not ${T}×${T} (one row and column per token)`);
    }),
  );
  const id = `attn-${newDisplayId()}`;
  const q0 = opts.query ?? T - 1;
  const [L0, H0] = opts.head ?? [0, 0];
  const staticView = prerender(tokens, maps, q0, L0, H0);
  const rounded = maps.map((layer) => layer.map((head) => head.map((row) => row.map((v) => Math.round(v * 1000) / 1000))));
  const data = JSON.stringify({ tokens, maps: rounded, query: opts.query ?? T - 1, head: opts.head ?? [0, 0] }).replace(/</g, "\\u003c");
  const title = opts.title ? `<div style="font-weight:bold;margin-bottom:6px">${escapeHtml(opts.title)}</div>` : "";
  const html = `<div id="${id}" style="font-family:sans-serif;font-size:13px;color:#1e293b;background:#fff;border:1px solid #cbd5e1;border-radius:8px;padding:10px;max-width:900px">
${title}<div style="color:#475569;margin-bottom:6px">Click a token (the <b>query</b>) to see where it looks; click a cell of the grid to pick a layer and head. Darker = more attention. The causal mask hides later tokens.</div>
<div data-role="tokens" style="font-size:18px;line-height:2.2;margin-bottom:8px">${staticView.tokens}</div>
<div data-role="caption" style="color:#475569;margin-bottom:8px">${staticView.caption}</div>
<div data-role="grid">${staticView.grid}</div>
<div data-role="static-note" style="color:#94a3b8;font-size:11px">(A still picture of the selected token and head: the page did not run the view's script — in JupyterLab, trust the notebook or rerun the cell.)</div>
<script type="application/json" data-role="data">${data}</script>
<script>(function(){
var root=document.getElementById(${JSON.stringify(id)});if(!root)return;
var d=JSON.parse(root.querySelector('[data-role=data]').textContent);var note=root.querySelector('[data-role=static-note]');if(note)note.style.display="none";
var q=d.query,L=d.head[0],H=d.head[1];
function shade(w){var a=Math.max(0,Math.min(1,w));var r=Math.round(255-a*(255-29)),g=Math.round(255-a*(255-78)),b=Math.round(255-a*(255-216));return "rgb("+r+","+g+","+b+")";}
function ink(w){return w>0.45?"#fff":"#1e293b";}
function label(t){return t.replace(/ /g,"\\u00a0")||"\\u2205";}
function draw(){
 var row=d.maps[L][H][q];var tk=root.querySelector('[data-role=tokens]');tk.innerHTML="";
 d.tokens.forEach(function(t,j){var s=document.createElement("span");s.textContent=label(t);
  var w=j<=q?row[j]:0;s.style.cssText="cursor:pointer;padding:2px 4px;margin:0 2px;border-radius:4px;border:2px solid "+(j===q?"#dc2626":"transparent")+";background:"+(j<=q?shade(w):"#f1f5f9")+";color:"+(j<=q?ink(w):"#94a3b8");
  s.title=j<=q?("weight "+w.toFixed(3)):"in the future: masked";
  s.onclick=function(){q=j;draw();};s.onmouseenter=function(){if(root.dataset.hover==="1"){q=j;draw();}};tk.appendChild(s);});
 var best=0;for(var j=1;j<=q;j++)if(row[j]>row[best])best=j;
 root.querySelector('[data-role=caption]').textContent="L"+L+".H"+H+": "+label(d.tokens[q])+" looks most at "+label(d.tokens[best])+" ("+row[best].toFixed(2)+")";
 var g=root.querySelector('[data-role=grid]');var h="<table style='border-collapse:collapse;font-size:11px'><tr><td></td>";
 d.maps[0].forEach(function(_,hh){h+="<td style='padding:2px 6px;color:#475569'>head "+hh+"</td>";});h+="</tr>";
 d.maps.forEach(function(layer,ll){h+="<tr><td style='padding:2px 6px;color:#475569'>layer "+ll+"</td>";
  layer.forEach(function(head,hh){var r=head[q];var cells="";for(var j=0;j<=q;j++){cells+="<span title='"+label(d.tokens[j])+" "+r[j].toFixed(2)+"' style='display:inline-block;width:12px;height:12px;margin-right:1px;background:"+shade(r[j])+";border:1px solid #cbd5e1'></span>";}
   var sel=(ll===L&&hh===H);h+="<td data-l='"+ll+"' data-h='"+hh+"' style='cursor:pointer;padding:3px;border:2px solid "+(sel?"#dc2626":"#e2e8f0")+"'>"+cells+"</td>";});h+="</tr>";});
 h+="</table><div style='color:#475569;margin-top:4px'>Each cell: the selected token's attention over the tokens up to it (left to right), for one layer and head.</div>";
 g.innerHTML=h;Array.prototype.forEach.call(g.querySelectorAll("td[data-l]"),function(c){c.onclick=function(){L=+c.getAttribute("data-l");H=+c.getAttribute("data-h");draw();};});
}
draw();})();</script></div>`;
  const text = `${opts.title ? opts.title + "\n" : ""}Attention view (text): where each token looks most, per layer and head\n${attentionText(tokens, maps)}`;
  if (!opts.silent) showHtml(html, text);
  return quietInKernel({ html, text });
}
