// The disaster screen: my check-in, shelters live, the nearest sites for a hazard with the
// checklist, articles and quizzes, and a damage report.
(function () {
  "use strict";
  const TEXT = {
    ja: { mine: "わたしの避難", shelters: "避難所の状況", map: "地図データ(GeoJSON)", practice: "近くの避難場所", hazard: "災害の種類",
          checklist: "持ち出し品チェック", learn: "学ぶ", quizzes: "クイズ", report: "被害を知らせる", category: "種類", what: "様子",
          lat: "緯度", lon: "経度", send: "送る", checked_in: "{site} に避難中 ({party} 人)", not_in: "避難所には入っていません",
          status_open: "開設中", status_full: "満員", status_closed: "閉鎖", occupancy: "{status} {occupancy}/{capacity} 人",
          near: "{name}: {direction} {distance} m, 徒歩 {minutes} 分", open_article: "「{title}」を読む", open_quiz: "「{title}」に挑戦",
          answer: "答える", score: "{score}/{total} 問正解{passed}", passed: "(合格)", sent: "送りました。確認後に公開されます", step: "{n}. {text}" },
    "ja-easy": { mine: "わたしの ひなん", shelters: "ひなんじょの ようす", map: "ちずの データ", practice: "ちかくの ひなん ばしょ", hazard: "さいがいの しゅるい",
          checklist: "もちだす ものの チェック", learn: "まなぶ", quizzes: "クイズ", report: "ひがいを しらせる", category: "しゅるい", what: "ようす",
          lat: "いど", lon: "けいど", send: "おくる", checked_in: "{site} に ひなん しています ({party} にん)", not_in: "ひなんじょには はいっていません",
          status_open: "あいています", status_full: "いっぱい", status_closed: "しまっています", occupancy: "{status} {occupancy}/{capacity} にん",
          near: "{name}: {direction} {distance} m, あるいて {minutes} ぷん", open_article: "「{title}」を よむ", open_quiz: "「{title}」を やる",
          answer: "こたえる", score: "{total} もん ちゅう {score} もん せいかい{passed}", passed: "(ごうかく)", sent: "おくりました。かくにん してから みんなに みせます", step: "{n}. {text}" },
    en: { mine: "My evacuation", shelters: "Shelters", map: "Map data (GeoJSON)", practice: "Nearest sites", hazard: "Hazard",
          checklist: "Go-bag checklist", learn: "Learn", quizzes: "Quizzes", report: "Report damage", category: "Kind", what: "What you see",
          lat: "Latitude", lon: "Longitude", send: "Send", checked_in: "Checked in at {site} ({party} people)", not_in: "Not checked in at a shelter",
          status_open: "open", status_full: "full", status_closed: "closed", occupancy: "{status} {occupancy}/{capacity}",
          near: "{name}: {direction} {distance} m, {minutes} min walk", open_article: "Read “{title}”", open_quiz: "Try “{title}”",
          answer: "Answer", score: "{score} of {total} right{passed}", passed: " (passed)", sent: "Sent; it appears once checked", step: "{n}. {text}" },
  };
  const $ = (id) => document.getElementById(id);
  const say = (text) => { $("status").textContent = text; };
  const shelters = new Map();
  let started = false;
  const t = machi.i18n(TEXT, () => { if (started) loadAll().catch((e) => say(e.message)); });
  const lang = () => document.documentElement.lang === "en" ? "en" : "ja";

  function li(text, extra) {
    const item = document.createElement("li");
    item.textContent = text;
    if (extra) item.append(" ", extra);
    return item;
  }
  function action(text, fn) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.addEventListener("click", () => fn().catch((e) => say(e.message)));
    return b;
  }

  function renderShelters() {
    $("shelters").replaceChildren(...[...shelters.values()].map((s) => {
      const item = li(`${s.name}: ${t("occupancy", { status: t("status_" + s.status), occupancy: s.occupancy, capacity: s.capacity })}`);
      item.className = s.status;
      item.dataset.site = s.id;
      return item;
    }));
  }

  async function mine() {
    try {
      const me = await machi.json("GET", "/me/checkin");
      $("checkin").textContent = me.current ? t("checked_in", { site: me.current.site_name, party: me.current.party }) : t("not_in");
      $("checkin").dataset.site = me.current ? me.current.site : "";
    } catch (e) {
      $("checkin").textContent = "";  // a visitor
    }
  }

  async function practice() {
    let near;
    try {
      near = await machi.json("GET", `/practice?hazard=${encodeURIComponent($("hazard").value)}&lang=${lang()}&limit=5`);
    } catch (e) {
      $("nearest").replaceChildren(li(e.message));  // no district shared: say why, keep the rest
      $("checklist").replaceChildren();
      return;
    }
    $("nearest").replaceChildren(...near.sites.map((s) => li(t("near", { name: s.name, direction: s.direction, distance: s.distance_m, minutes: s.walking_minutes }))));
    $("checklist").replaceChildren(...near.checklist.map((c) => li(typeof c === "string" ? c : c.text || c.name || JSON.stringify(c))));
  }

  async function learn() {
    const articles = (await machi.json("GET", `/learn?lang=${lang()}`)).articles;
    $("articles").replaceChildren(...articles.map((a) => li(a.title, action(t("open_article", { title: a.title }), async () => {
      const article = await machi.json("GET", `/learn/${encodeURIComponent(a.id)}?lang=${lang()}`);
      const box = document.createElement("div");
      const h = document.createElement("h3");
      h.textContent = article.title;
      const ol = document.createElement("ol");
      for (const step of article.steps) ol.append(li(typeof step === "string" ? step : step.text || JSON.stringify(step)));
      box.append(h, ol);
      $("article").replaceChildren(box);
      await machi.call("POST", `/me/articles/${encodeURIComponent(a.id)}/read`);
    }))));
    const quizzes = (await machi.json("GET", `/quizzes?lang=${lang()}`)).quizzes;
    $("quizzes").replaceChildren(...quizzes.map((q) => li(q.title, action(t("open_quiz", { title: q.title }), () => openQuiz(q.id)))));
  }

  async function openQuiz(id) {
    const quiz = await machi.json("GET", `/quizzes/${encodeURIComponent(id)}?lang=${lang()}`);
    const form = $("quiz");
    form.replaceChildren();
    quiz.questions.forEach((q, i) => {
      const set = document.createElement("fieldset");
      const legend = document.createElement("legend");
      legend.textContent = `${q.number}. ${q.text}`;
      set.append(legend);
      q.choices.forEach((choice, c) => {
        const label = document.createElement("label");
        const radio = document.createElement("input");
        radio.type = "radio";
        radio.name = `q${i}`;
        radio.value = String(c);
        radio.required = true;
        label.append(radio, ` ${choice}`);
        set.append(label);
      });
      form.append(set);
    });
    const submit = document.createElement("button");
    submit.type = "submit";
    submit.textContent = t("answer");
    form.append(submit);
    form.hidden = false;
    form.onsubmit = async (event) => {
      event.preventDefault();
      const answers = quiz.questions.map((_, i) => Number(form.elements[`q${i}`].value));
      const result = await machi.json("POST", `/quizzes/${encodeURIComponent(id)}/answers`, { answers }).catch((e) => { say(e.message); return null; });
      if (result) $("score").textContent = t("score", { score: result.score, total: result.total, passed: result.passed ? t("passed") : "" });
    };
  }

  async function loadAll() {
    for (const s of (await machi.json("GET", `/shelters?lang=${lang()}`)).shelters) shelters.set(s.id, s);
    renderShelters();
    await mine();
    await practice();
    await learn();
  }

  async function start() {
    const overview = await machi.json("GET", `/hazards?lang=${lang()}`);
    for (const h of overview.hazards) $("hazard").append(new Option(h.name, h.id));
    $("hazard").addEventListener("change", () => practice().catch((e) => say(e.message)));
    const info = await machi.json("GET", "/");
    for (const c of info.report_categories || [{ id: "other", name: "other" }]) $("report-category").append(new Option(c.name, c.id));
    $("report-form").addEventListener("submit", (event) => {
      event.preventDefault();
      machi.json("POST", "/me/reports", { latitude: Number($("report-lat").value), longitude: Number($("report-lon").value),
                                         category: $("report-category").value, text: $("report-text").value })
        .then(() => { say(t("sent")); $("report-text").value = ""; })
        .catch((e) => say(e.message));
    });
    machi.live("shelters", (message) => {
      const change = JSON.parse(message);
      const s = shelters.get(change.id);
      if (s) Object.assign(s, change);
      renderShelters();
      mine();
    });
    await loadAll();
    started = true;
    document.body.dataset.ready = "1";
  }
  start().catch((e) => say(e.message));
})();
