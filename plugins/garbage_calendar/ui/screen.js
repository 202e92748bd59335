// The garbage calendar's screen: area choice (kept for a signed-in resident through PUT /me),
// next collections, the month, the sorting guide search and the calendar subscription link.
(function () {
  "use strict";
  const TEXT = {
    ja: { area: "地区", choose_area: "お住まいの地区", next: "次の収集日", subscribe: "カレンダーアプリに登録(iCalendar)",
          prev_month: "前の月", next_month: "次の月", search: "分け方を調べる", item: "品目(例: ペットボトル)",
          search_button: "調べる", today: "今日", in_days: "{n}日後", month: "{y}年{m}月", none: "見つかりませんでした",
          nothing: "収集なし", unreadable: "「{category}」の収集日を読み取れませんでした。市にお問い合わせください。" },
    "ja-easy": { area: "ちく", choose_area: "すんでいる ちく", next: "つぎに ごみを だせる ひ", subscribe: "カレンダーに いれる",
          prev_month: "まえの つき", next_month: "つぎの つき", search: "ごみの わけかたを しらべる", item: "ごみの なまえ(れい: ペットボトル)",
          search_button: "しらべる", today: "きょう", in_days: "{n}にち あと", month: "{y}ねん {m}がつ", none: "みつかりませんでした",
          nothing: "なし", unreadable: "「{category}」を だす ひが わかりません。しやくしょに きいて ください。" },
    en: { area: "Area", choose_area: "Your area", next: "Next collections", subscribe: "Add to your calendar app (iCalendar)",
          prev_month: "Previous month", next_month: "Next month", search: "How to sort an item", item: "Item (e.g. PET bottle)",
          search_button: "Search", today: "today", in_days: "in {n} days", month: "{y}-{m}", none: "Nothing found",
          nothing: "no collection", unreadable: "The schedule for {category} could not be read. Please check with the city." },
  };
  const $ = (id) => document.getElementById(id);
  const state = { area: "", month: new Date() };
  const t = machi.i18n(TEXT, () => { if (state.area) showArea().catch(() => {}); });
  const say = (text) => { $("status").textContent = text; };

  function rows(list, items) {
    list.replaceChildren(...items.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }));
  }

  function monthKey() {
    const d = state.month;
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
  }

  async function showArea() {
    if (!state.area) return;
    const area = encodeURIComponent(state.area);
    const next = await machi.json("GET", `/next?area=${area}`);
    rows($("next"), next.next.map((c) => `${c.category}: ${c.date} (${c.days_from_now === 0 ? t("today") : t("in_days", { n: c.days_from_now })})`)
      .concat((next.unreadable || []).map((u) => t("unreadable", { category: u.category }))));
    $("ics").href = new URL(`../calendar.ics?area=${area}`, location.href).href;
    const [y, m] = monthKey().split("-");
    $("month-title").textContent = t("month", { y, m: String(Number(m)) });
    const month = await machi.json("GET", `/month?area=${area}&month=${monthKey()}`);
    rows($("month"), month.days.filter((d) => d.categories.length).map((d) => `${d.date}: ${d.categories.join("・")}`));
  }

  async function start() {
    const areas = await machi.json("GET", "/areas");
    const select = $("area");
    select.replaceChildren(...areas.areas.map((a) => new Option(a.group_name ? `${a.group_name} ${a.name}` : a.name, a.id)));
    try {
      const me = await machi.json("GET", "/me");
      if (me.area) state.area = me.area;
    } catch (e) {
      // not signed in (a visitor): the choice stays on this screen
    }
    if (!state.area && areas.areas.length) state.area = areas.areas[0].id;
    select.value = state.area;
    select.addEventListener("change", async () => {
      state.area = select.value;
      await machi.json("PUT", "/me", { area: state.area }).catch(() => {});
      showArea().catch((e) => say(e.message));
    });
    $("prev-month").addEventListener("click", () => { state.month.setMonth(state.month.getMonth() - 1); showArea().catch((e) => say(e.message)); });
    $("next-month").addEventListener("click", () => { state.month.setMonth(state.month.getMonth() + 1); showArea().catch((e) => say(e.message)); });
    $("search-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const found = await machi.json("GET", `/search?q=${encodeURIComponent($("q").value)}&limit=20`).catch((e) => { say(e.message); return null; });
      if (found) rows($("results"), found.items.length ? found.items.map((i) => `${i.name} → ${i.category}${i.notice ? ` (${i.notice})` : ""}`) : [t("none")]);
    });
    await showArea();
    document.body.dataset.ready = "1";
  }

  start().catch((e) => say(e.message));
})();
