// Shelter staff: open, mark full or close a shelter; check residents in from a scanned or pasted
// citizen card (with their household); the roster.
(function () {
  "use strict";
  const TEXT = {
    ja: { title: "避難所の受付", shelter: "避難所", state: "開設状況", status: "状況", save: "変更", checkin: "受付(市民カード)",
          card: "読み取った、または貼り付けた市民カード", guests: "同行者(家族以外)", check_in: "受付する", roster: "避難している人",
          checked: "{party} 人を受け付けました (現在 {occupancy} 人)", saved: "状況を変更しました", party: "{names} ({party} 人)" },
    "ja-easy": { title: "ひなんじょの うけつけ", shelter: "ひなんじょ", state: "あいているか", status: "ようす", save: "かえる", checkin: "うけつけ(しみんカード)",
          card: "しみんカード(よみとった もの か はりつけ)", guests: "いっしょに きた ひと(かぞく いがい)", check_in: "うけつけ する", roster: "ひなん している ひと",
          checked: "{party} にんを うけつけ しました (いま {occupancy} にん)", saved: "かえました", party: "{names} ({party} にん)" },
    en: { title: "Shelter check-in", shelter: "Shelter", state: "Status", status: "Status", save: "Change", checkin: "Check in (citizen card)",
          card: "Scanned or pasted citizen card", guests: "Guests (not household)", check_in: "Check in", roster: "Checked in",
          checked: "Checked in {party} (now {occupancy})", saved: "Status changed", party: "{names} ({party})" },
  };
  const $ = (id) => document.getElementById(id);
  const say = (text) => { $("status").textContent = text; };
  const t = machi.i18n(TEXT);
  const shelter = () => encodeURIComponent($("shelter").value);

  async function roster() {
    const list = await machi.json("GET", `/staff/shelters/${shelter()}/checkins`);
    const entries = list.checkins || list.roster || [];
    $("roster").replaceChildren(...entries.map((c) => {
      const item = document.createElement("li");
      const names = (c.members || []).map((m) => (typeof m === "string" ? m : m.name)).join("、");
      item.textContent = t("party", { names, party: c.party });
      return item;
    }));
  }

  $("state-form").addEventListener("submit", (event) => {
    event.preventDefault();
    machi.json("PUT", `/staff/shelters/${shelter()}`, { status: $("state").value })
      .then(() => say(t("saved"))).catch((e) => say(e.message));
  });
  $("checkin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    machi.json("POST", `/staff/shelters/${shelter()}/checkins`, { card: $("card").value.trim(), members: "all", guests: Number($("guests").value) })
      .then((done) => { say(t("checked", { party: done.party, occupancy: done.occupancy })); $("card").value = ""; return roster(); })
      .catch((e) => say(e.message));
  });
  $("shelter").addEventListener("change", () => roster().catch((e) => say(e.message)));
  machi.json("GET", "/shelters").then(async (all) => {
    for (const s of all.shelters) $("shelter").append(new Option(s.name, s.id));
    await roster();
    document.body.dataset.ready = "1";
  }).catch((e) => say(e.message));
})();
