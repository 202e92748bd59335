// The childcare screen: each child's vaccination schedule (the next dose of each vaccine, with
// its recommended window; record a dose given today) and nursery vacancies by age class.
(function () {
  "use strict";
  const TEXT = {
    ja: { schedule: "予防接種の予定", nurseries: "保育施設の空き", class: "クラス(年齢)", no_children: "家族の情報が共有されていません。設定で子どもを登録し、このミニアプリに渡すと予定が出ます。",
          next: "{vaccine}: {dose} {when}", window: "({from}〜{until} がおすすめ)", done: "{vaccine}: すべて完了", record: "{vaccine} {dose}を今日接種した",
          recorded: "{vaccine} を記録しました", vacancies: "{name}: 空き {n} 人", none: "空きのある施設はありません", state_due: "接種できます", state_upcoming: "これから", state_missed: "期間を過ぎました" },
    "ja-easy": { schedule: "よぼうせっしゅの よてい", nurseries: "ほいくえんの あき", class: "クラス(ねんれい)", no_children: "かぞくの じょうほうが ありません。せっていで こどもを とうろく してください。",
          next: "{vaccine}: {dose} {when}", window: "({from}〜{until} が おすすめ)", done: "{vaccine}: ぜんぶ おわり", record: "{vaccine} {dose}を きょう うけた",
          recorded: "{vaccine} を きろく しました", vacancies: "{name}: あき {n} にん", none: "あいている ところは ありません", state_due: "うけられます", state_upcoming: "これから", state_missed: "きかんが すぎました" },
    en: { schedule: "Vaccination schedule", nurseries: "Nursery vacancies", class: "Class (age)", no_children: "No household shared. Add your children in Settings and share them with this mini-app.",
          next: "{vaccine}: {dose} {when}", window: "(recommended {from} to {until})", done: "{vaccine}: complete", record: "{vaccine} {dose} given today",
          recorded: "{vaccine} recorded", vacancies: "{name}: {n} places", none: "No vacancies", state_due: "can be given now", state_upcoming: "upcoming", state_missed: "window closed" },
  };
  const $ = (id) => document.getElementById(id);
  const say = (text) => { $("status").textContent = text; };
  let ready = false;
  const t = machi.i18n(TEXT, () => { if (ready) refresh().catch((e) => say(e.message)); });
  const today = () => new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 10);

  function planRow(child, plan) {
    const li = document.createElement("li");
    li.dataset.vaccine = plan.vaccine;
    const open = plan.doses.find((d) => d.state === "due" || d.state === "upcoming");
    if (!open) {
      li.textContent = t("done", { vaccine: plan.name });
      li.dataset.done = "1";
      return li;
    }
    const window = open.recommended ? t("window", { from: open.recommended.from, until: open.recommended.until }) : "";
    li.textContent = t("next", { vaccine: plan.name, dose: open.label, when: `${t("state_" + open.state)} ${window}` });
    if (open.state === "due") {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.action = "record";
      b.textContent = t("record", { vaccine: plan.name, dose: open.label });
      b.addEventListener("click", () => machi.json("POST", `/me/children/${encodeURIComponent(child.id)}/doses`, { vaccine: plan.vaccine, date: today() })
        .then(() => { say(t("recorded", { vaccine: plan.name })); return refresh(); })
        .catch((e) => say(e.message)));
      li.append(" ", b);
    }
    return li;
  }

  async function refresh() {
    let schedule = null;
    try {
      schedule = await machi.json("GET", "/me/schedule");
    } catch (e) {
      schedule = null;  // a visitor, or no household shared
    }
    const box = $("children");
    if (!schedule || !schedule.children.length) {
      const p = document.createElement("p");
      p.textContent = t("no_children");
      box.replaceChildren(p);
    } else {
      box.replaceChildren(...schedule.children.map((child) => {
        const section = document.createElement("section");
        section.dataset.child = child.id;
        const h = document.createElement("h2");
        h.textContent = `${child.name} (${child.birthdate})`;
        const ul = document.createElement("ul");
        ul.className = "rows";
        ul.append(...child.vaccines.map((plan) => planRow(child, plan)));
        section.append(h, ul);
        return section;
      }));
    }
    await vacancies();
  }

  async function vacancies() {
    const cls = $("class").value;
    const found = await machi.json("GET", `/nurseries?class=${cls}&available=true`);
    const list = found.facilities || found.nurseries || [];
    $("nurseries").replaceChildren(...(list.length ? list : [null]).map((f) => {
      const li = document.createElement("li");
      li.textContent = f ? t("vacancies", { name: f.name, n: f.vacancies[cls] }) : t("none");
      return li;
    }));
  }

  $("class").addEventListener("change", () => vacancies().catch((e) => say(e.message)));
  refresh().then(() => { ready = true; document.body.dataset.ready = "1"; }).catch((e) => say(e.message));
})();
