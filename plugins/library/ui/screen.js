// The library screen: catalogue search, holds with a pickup branch, the resident's loans (renew)
// and holds (cancel), and linking the library card.
(function () {
  "use strict";
  const TEXT = {
    ja: { search: "本をさがす", words: "書名・著者名・ISBN", search_button: "さがす", mine: "わたしの利用状況", card_number: "図書館カードの番号",
          pin: "暗証番号", link: "カードを登録", loans: "借りている本", holds: "予約", card: "図書館カード: {card}", no_card: "図書館カードがまだ登録されていません",
          available: "{branch}: 貸出可 {n} 冊", hold: "予約する", pickup: "「{title}」の受取館", none: "ありません", due: "{title} (返却期限 {due})",
          renew: "「{title}」を延長", cancel: "「{title}」の予約を取消", held: "「{title}」を予約しました", found: "{n} 件見つかりました",
          hold_status: "{title}: {status} ({branch})", waiting: "順番待ち {n} 番目", ready: "受取可 ({by} まで)", in_transit: "配送中" },
    "ja-easy": { search: "ほんを さがす", words: "ほんの なまえ・かいた ひと", search_button: "さがす", mine: "わたしが かりている もの", card_number: "としょかん カードの ばんごう",
          pin: "あんしょう ばんごう", link: "カードを とうろく", loans: "かりている ほん", holds: "よやく", card: "としょかん カード: {card}", no_card: "としょかん カードは まだ とうろく されていません",
          available: "{branch}: かりられる ほん {n} さつ", hold: "よやく する", pickup: "「{title}」を うけとる としょかん", none: "ありません", due: "{title} ({due} までに かえす)",
          renew: "「{title}」を ながく かりる", cancel: "「{title}」の よやくを やめる", held: "「{title}」を よやく しました", found: "{n} けん みつかりました",
          hold_status: "{title}: {status} ({branch})", waiting: "{n} ばんめに まっています", ready: "うけとれます ({by} まで)", in_transit: "はこんでいます" },
    en: { search: "Find a book", words: "Title, author or ISBN", search_button: "Search", mine: "My library", card_number: "Library card number",
          pin: "PIN", link: "Link the card", loans: "Loans", holds: "Holds", card: "Library card: {card}", no_card: "No library card linked yet",
          available: "{branch}: {n} available", hold: "Place a hold", pickup: "Pickup branch for “{title}”", none: "None", due: "{title} (due {due})",
          renew: "Renew “{title}”", cancel: "Cancel the hold on “{title}”", held: "Hold placed on “{title}”", found: "{n} found",
          hold_status: "{title}: {status} ({branch})", waiting: "number {n} in the queue", ready: "ready until {by}", in_transit: "in transit" },
  };
  const $ = (id) => document.getElementById(id);
  const say = (text) => { $("status").textContent = text; };
  let branches = [];
  let lastResults = null;
  const t = machi.i18n(TEXT, () => { refresh(); if (lastResults) results(lastResults); });

  function item(text, action) {
    const li = document.createElement("li");
    li.textContent = text;
    if (action) li.append(" ", action);
    return li;
  }

  function button(label, text, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    if (label !== text) b.setAttribute("aria-label", label);
    b.addEventListener("click", () => onClick().catch((e) => say(e.message)));
    return b;
  }

  async function refresh() {
    let me;
    try {
      me = await machi.json("GET", "/me");
    } catch (e) {
      $("card").textContent = "";
      return;  // a visitor: search only
    }
    $("card").textContent = me.card ? t("card", { card: me.card }) : t("no_card");
    $("card-form").hidden = !!me.card;
    const loans = me.loans.map((l) => item(t("due", { title: l.title, due: l.due }),
      button(t("renew", { title: l.title }), t("renew", { title: l.title }), async () => {
        await machi.json("POST", `/me/loans/${l.id}/renew`, {});
        await refresh();
      })));
    $("loans").replaceChildren(...(loans.length ? loans : [item(t("none"))]));
    const holds = me.holds.map((h) => {
      const status = h.status === "waiting" ? t("waiting", { n: h.position }) : h.status === "ready" ? t("ready", { by: h.pickup_by }) : t("in_transit");
      const li = item(t("hold_status", { title: h.title, status, branch: h.pickup_branch_name }),
        button(t("cancel", { title: h.title }), t("cancel", { title: h.title }), async () => {
          await machi.json("DELETE", `/me/holds/${h.id}`);
          await refresh();
        }));
      li.dataset.isbn = h.isbn;
      return li;
    });
    $("holds").replaceChildren(...(holds.length ? holds : [item(t("none"))]));
  }

  function results(found) {
    lastResults = found;
    say(t("found", { n: found.total }));
    $("results").replaceChildren(...found.items.map((book) => {
      const li = document.createElement("li");
      li.className = "book";
      li.dataset.isbn = book.isbn;
      const title = document.createElement("strong");
      title.textContent = `${book.title} / ${book.author}`;
      const copies = document.createElement("span");
      copies.textContent = book.availability.map((a) => t("available", { branch: a.branch_name, n: a.available })).join("、");
      const pickupId = `pickup-${book.isbn}`;
      const label = document.createElement("label");
      label.htmlFor = pickupId;
      label.textContent = t("pickup", { title: book.title });
      const select = document.createElement("select");
      select.id = pickupId;
      for (const b of branches.filter((b) => b.pickup)) select.append(new Option(b.name, b.id));
      const hold = button(t("hold"), t("hold"), async () => {
        await machi.json("POST", "/me/holds", { isbn: book.isbn, branch: select.value });
        say(t("held", { title: book.title }));
        await refresh();
      });
      hold.dataset.action = "hold";
      li.append(title, copies, label, select, hold);
      return li;
    }));
  }

  async function start() {
    branches = (await machi.json("GET", "/")).branches;
    $("search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      machi.json("GET", `/search?q=${encodeURIComponent($("q").value)}&limit=20`).then(results).catch((e) => say(e.message));
    });
    $("card-form").addEventListener("submit", (event) => {
      event.preventDefault();
      machi.json("POST", "/me/card", { card: $("card-number").value, pin: $("card-pin").value })
        .then(() => { $("card-pin").value = ""; return refresh(); })
        .catch((e) => say(e.message));
    });
    await refresh();
    document.body.dataset.ready = "1";
  }
  start().catch((e) => say(e.message));
})();
