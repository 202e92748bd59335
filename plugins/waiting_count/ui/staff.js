// The counter staff's screen: call the next ticket, then mark it served or absent.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const TEXT = {
    ja: { staff_title: "窓口の呼び出し", call: "{name}: 次の方を呼ぶ", served: "{number} 番: 対応済み", absent: "{number} 番: 不在",
          called: "{number} 番を呼びました (待ち {waiting} 人)", nobody: "待っている人はいません", waiting: "待ち {n} 人" },
    "ja-easy": { staff_title: "まどぐちの よびだし", call: "{name}: つぎの ひとを よぶ", served: "{number} ばん: おわり", absent: "{number} ばん: いない",
          called: "{number} ばんを よびました (まち {waiting} にん)", nobody: "まっている ひとは いません", waiting: "まち {n} にん" },
    en: { staff_title: "Call tickets", call: "{name}: call next", served: "No. {number}: served", absent: "No. {number}: absent",
          called: "Called No. {number} ({waiting} waiting)", nobody: "Nobody is waiting", waiting: "{n} waiting" },
  };
  let offices = [];
  const t = machi.i18n(TEXT, () => { if (offices.length) render(); });
  const say = (text) => { $("status").textContent = text; };
  const current = new Map();  // counter → the ticket it called last

  function finish(counter, ticket, outcome) {
    return async () => {
      try {
        await machi.json("POST", `/staff/tickets/${encodeURIComponent(ticket.ticket)}/${outcome}`, {});
        current.delete(counter);
        render();
      } catch (e) {
        say(e.message);
      }
    };
  }

  function render() {
    $("offices").replaceChildren(...offices.map((office) => {
      const section = document.createElement("section");
      const h = document.createElement("h2");
      h.textContent = office.name;
      section.append(h);
      for (const c of office.counters) {
        const p = document.createElement("p");
        const call = document.createElement("button");
        call.type = "button";
        call.dataset.counter = c.counter;
        call.textContent = t("call", { name: c.name });
        call.addEventListener("click", async () => {
          try {
            const ticket = await machi.json("POST", `/staff/counters/${encodeURIComponent(c.counter)}/call-next`, {});
            current.set(c.counter, ticket);
            say(t("called", { number: ticket.number, waiting: ticket.waiting }));
            render();
          } catch (e) {
            say(e.status === 404 ? t("nobody") : e.message);
          }
        });
        p.append(call);
        const ticket = current.get(c.counter);
        if (ticket) {
          for (const outcome of ["served", "absent"]) {
            const b = document.createElement("button");
            b.type = "button";
            b.textContent = t(outcome, { number: ticket.number });
            b.addEventListener("click", finish(c.counter, ticket, outcome));
            p.append(" ", b);
          }
        }
        section.append(p);
      }
      return section;
    }));
  }

  machi.json("GET", "/").then((all) => {
    offices = all.offices;
    render();
    document.body.dataset.ready = "1";
  }).catch((e) => say(e.message));
})();
