// The waiting count screen: each counter's queue, live; take a ticket where the counter allows
// remote tickets; the resident's own tickets with how many are ahead.
(function () {
  "use strict";
  const TEXT = {
    ja: { mine: "わたしの番号札", counters: "窓口の混み具合", none: "番号札はありません", waiting: "待ち {n} 人",
          serving: "呼出中 {n}", wait: "目安 {n} 分", take: "{name}の番号札を取る", ticket: "{counter} {number} 番 (前に {ahead} 人)",
          called: "{counter} {number} 番: 呼ばれています", closed: "受付終了", took: "{number} 番の番号札を取りました" },
    "ja-easy": { mine: "わたしの ばんごうふだ", counters: "まどぐちの こみぐあい", none: "ばんごうふだは ありません", waiting: "まっている ひと {n} にん",
          serving: "よんでいる ばんごう {n}", wait: "だいたい {n} ぷん", take: "{name}の ばんごうふだを とる", ticket: "{counter} {number} ばん (まえに {ahead} にん)",
          called: "{counter} {number} ばん: よばれています", closed: "うけつけ おわり", took: "{number} ばんの ばんごうふだを とりました" },
    en: { mine: "My tickets", counters: "Counters", none: "No tickets", waiting: "{n} waiting",
          serving: "Now serving {n}", wait: "about {n} min", take: "Take a ticket for {name}", ticket: "{counter} No. {number} ({ahead} ahead)",
          called: "{counter} No. {number}: it's your turn", closed: "closed", took: "You have ticket No. {number}" },
  };
  const $ = (id) => document.getElementById(id);
  const counters = new Map();  // counter id → its status
  const names = new Map();
  const t = machi.i18n(TEXT, () => { if (counters.size) { render(); mine(); } });

  function render() {
    const box = $("offices");
    box.replaceChildren();
    const byOffice = new Map();
    for (const c of counters.values()) {
      if (!byOffice.has(c.office)) byOffice.set(c.office, []);
      byOffice.get(c.office).push(c);
    }
    for (const [office, list] of byOffice) {
      const h = document.createElement("h3");
      h.textContent = names.get(office) || office;
      const ul = document.createElement("ul");
      ul.className = "rows";
      for (const c of list) {
        const li = document.createElement("li");
        li.dataset.counter = c.counter;
        const title = document.createElement("strong");
        title.textContent = c.name;
        const count = document.createElement("p");
        count.className = "count";
        count.textContent = c.closed ? t("closed") : t("waiting", { n: c.waiting });
        const more = document.createElement("p");
        more.textContent = [c.now_serving.length ? t("serving", { n: c.now_serving.join(", ") }) : "",
                            c.closed ? "" : t("wait", { n: c.estimated_wait_minutes })].filter(Boolean).join(" / ");
        li.append(title, count, more);
        if (c.remote_tickets && !c.closed) {
          const take = document.createElement("button");
          take.type = "button";
          take.textContent = t("take", { name: c.name });
          take.addEventListener("click", async () => {
            try {
              const ticket = await machi.json("POST", `/counters/${encodeURIComponent(c.counter)}/tickets`, {});
              $("status").textContent = t("took", { number: ticket.number });
              await mine();
            } catch (e) {
              $("status").textContent = e.message;
            }
          });
          li.append(take);
        }
        ul.append(li);
      }
      box.append(h, ul);
    }
  }

  async function mine() {
    let tickets = [];
    try {
      tickets = (await machi.json("GET", "/me/tickets")).tickets;
    } catch (e) {
      // a visitor has no tickets of their own
    }
    const list = $("mine");
    list.replaceChildren(...(tickets.length ? tickets : [null]).map((ticket) => {
      const li = document.createElement("li");
      const name = ticket && (ticket.counter_name || ticket.counter);
      li.textContent = !ticket ? t("none")
        : ticket.status === "called" ? t("called", { counter: name, number: ticket.number })
        : t("ticket", { counter: name, number: ticket.number, ahead: ticket.ahead });
      return li;
    }));
  }

  async function start() {
    const all = await machi.json("GET", "/");
    for (const office of all.offices) {
      names.set(office.office, office.name);
      for (const c of office.counters) counters.set(c.counter, c);
      machi.live("office." + office.office, (message) => {
        const c = JSON.parse(message);
        counters.set(c.counter, c);
        render();
        mine();
      });
    }
    render();
    await mine();
    document.body.dataset.ready = "1";
  }

  start().catch((e) => { $("status").textContent = e.message; });
})();
