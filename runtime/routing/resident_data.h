// A resident's data across the runtime and every mini-app: export (GET /api/v1/me/export) and
// account deletion (DELETE /api/v1/me, password required). Both reach each enabled mini-app
// through the ABI's on_subject_export / on_subject_erase hooks with that mini-app's pairwise
// subject. Deletion erases the mini-apps' data first and removes the account only when every
// erase succeeded, so a failure can be retried and never leaves an account without its data
// half-gone silently. Runs on a worker thread.
#pragma once

#include "runtime/http/http_message.h"
#include "runtime/identity/auth_api.h"
#include "runtime/routing/municipalities.h"

namespace machi {

HttpResponse export_resident_data(const MunicipalitySnapshot& m, const identity::Account& account);
HttpResponse delete_resident(const MunicipalitySnapshot& m, const identity::Account& account);

// Consents (/api/v1/me/consents…): for each enabled mini-app with grants, what it asks for and
// what the resident accepted. GET lists; PUT …/{id} {"claims": […]} accepts a subset of that
// mini-app's grants (replacing the earlier answer); DELETE …/{id} revokes.
// The resident's home order (/api/v1/me/apps): GET the merged list (home_order.h); PUT
// {"apps": [{"id", "hidden"}…]} saves the resident's list (ids of this manifest, at most 500).
HttpResponse handle_home_order(const MunicipalitySnapshot& m, const identity::Account& account,
                               const HttpRequest& request);

// The claims a mini-app receives for a signed-in caller: its pairwise subject, assurance level,
// locale, audience, staff roles, and the claims it was granted and the resident consented to.
// Built once per principal and mini-app (Principal::claims_memo) and shared by later requests
// until a consent, profile or grant changes.
std::shared_ptr<const Claims> claims_for(const MunicipalitySnapshot& m, const MountedApp& app,
                                        const identity::Principal& caller);

// GET /api/v1/me/cards[?locale=]: the information cards of the resident's visible mini-apps (home
// order, hidden ones left out), each asked through the ABI's on_info_card with that mini-app's
// claims; a mini-app whose hook fails or answers malformed JSON is listed under "unavailable".
// Runs on a worker thread; the hooks run one after another on it.
HttpResponse handle_info_cards(const MunicipalitySnapshot& m, const identity::Account& account,
                               const HttpRequest& request);

HttpResponse handle_consents(const MunicipalitySnapshot& m, const identity::Account& account,
                             const HttpRequest& request, std::string_view mount_id);

}  // namespace machi
