// The library counter: issue a library card, lend a copy (to a card or a scanned citizen card),
// take a copy back (and see where it goes next).
(function () {
  "use strict";
  const TEXT = {
    ja: { title: "図書館カウンター", register: "利用者カードの発行", card: "カード番号", pin: "暗証番号(4〜16桁)", issue: "発行",
          checkout: "貸出", copy: "資料番号", who: "カード番号、または読み取った市民カード", lend: "貸し出す", checkin: "返却",
          branch: "返却を受けた館", return: "返却する", issued: "カード {card} を発行しました", lent: "「{title}」を貸し出しました (返却期限 {due})",
          shelve: "書架に戻してください", hold_shelf: "予約棚へ(予約あり)", transit: "{to} へ送ってください" },
    "ja-easy": { title: "としょかんの カウンター", register: "カードを つくる", card: "カードの ばんごう", pin: "あんしょう ばんごう(4〜16けた)", issue: "つくる",
          checkout: "かしだし", copy: "ほんの ばんごう", who: "カードの ばんごう、または しみんカード", lend: "かす", checkin: "へんきゃく",
          branch: "うけとった としょかん", return: "かえして もらう", issued: "カード {card} を つくりました", lent: "「{title}」を かしました ({due} まで)",
          shelve: "たなに もどす", hold_shelf: "よやくの たなへ", transit: "{to} へ おくる" },
    en: { title: "Library counter", register: "Issue a library card", card: "Card number", pin: "PIN (4–16 digits)", issue: "Issue",
          checkout: "Lend", copy: "Copy number", who: "Card number, or a scanned citizen card", lend: "Lend", checkin: "Return",
          branch: "Returned at", return: "Take back", issued: "Card {card} issued", lent: "Lent “{title}” (due {due})",
          shelve: "Back to the shelf", hold_shelf: "To the hold shelf", transit: "Send it to {to}" },
  };
  const $ = (id) => document.getElementById(id);
  const say = (text) => { $("status").textContent = text; };
  let branches = [];
  const t = machi.i18n(TEXT);
  const on = (id, fn) => $(id).addEventListener("submit", (event) => { event.preventDefault(); fn().catch((e) => say(e.message)); });

  on("register", async () => {
    await machi.json("POST", "/staff/cards", { card: $("new-card").value, pin: $("new-pin").value });
    say(t("issued", { card: $("new-card").value }));
    $("new-pin").value = "";
  });
  on("checkout", async () => {
    const who = $("out-card").value.trim();
    const body = who.includes(".") ? { copy: $("out-copy").value, citizen_card: who } : { copy: $("out-copy").value, card: who };
    const loan = await machi.json("POST", "/staff/checkout", body);
    say(t("lent", { title: loan.title, due: loan.due }));
  });
  on("checkin", async () => {
    const back = await machi.json("POST", "/staff/checkin", { copy: $("in-copy").value, branch: $("in-branch").value });
    const to = (branches.find((b) => b.id === back.to_branch) || {}).name || back.to_branch;
    say(t(back.route, { to }));
  });
  machi.json("GET", "/").then((all) => {
    branches = all.branches;
    for (const b of branches) $("in-branch").append(new Option(b.name, b.id));
    document.body.dataset.ready = "1";
  }).catch((e) => say(e.message));
})();
