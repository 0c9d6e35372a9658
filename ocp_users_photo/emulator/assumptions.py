"""What the emulator does where Slack documents nothing, and why: listed in the README."""

from __future__ import annotations

ASSUMPTIONS: tuple[str, ...] = (
    # Arguments and the image part.
    "No `image` file part, an empty one, or `image` sent as a plain text field (no filename, "
    "e.g. a urlencoded form) answers `bad_image`: Slack wants the file via multipart/form-data "
    "and bad_image is the method's documented 'could not be processed' code.",
    "Only PNG, JPEG and GIF are accepted; any other format, even one Pillow can read, answers "
    "`bad_image`, following Slack's own hint for that error ('try JPEG, GIF or PNG').",
    "The crop box needs all three of crop_x, crop_y, crop_w; empty values count as absent. Only "
    "some of them, a value that is not a non-negative decimal integer of at most 9 digits "
    "(e.g. '-1', '1.5', 'abc', '0000000000'), "
    "crop_w 0, or a box not wholly inside the image answers `bad_image`: the method documents "
    "no crop-specific error and a strict answer surfaces client bugs that a lenient one hides.",
    "Crop coordinates refer to the image as a viewer shows it: EXIF orientation is applied first.",
    "Arguments are read from the body and the query string (the body wins); the token from "
    "`Authorization: Bearer` first, then a form field. users.profile.get and auth.test also take "
    "`token` from the query string (users.profile.get's spec puts it there; Slack refuses it "
    "there for apps created after February 2021, and the package never sends one so); the "
    "write methods do not. A JSON body's `token` is ignored, since Slack requires the header "
    "for JSON posts.",
    "A body that is not valid multipart/urlencoded answers `invalid_form_data`; invalid JSON "
    "`invalid_json` (JSON nested too deep to read, or holding NaN or Infinity, too); JSON that "
    "is not an object `json_not_object`; a content type Slack does not "
    "list (form, multipart, JSON, text/plain) `invalid_post_type`, a body with no Content-Type "
    "`missing_post_type`, a charset other than utf-8 and iso-8859-1 `invalid_charset` (all "
    "HTTP 200, Slack's codes).",
    "An argument named PHP-style (`crop_x[7]`) answers `invalid_array_arg`; one with characters "
    "other than letters, digits and `_`, or over 100 characters, `invalid_arg_name` (Slack "
    "says 'very long' without a number).",
    "GET is accepted like POST for every method (users.setPhoto, users.deletePhoto, "
    "users.profile.get, auth.test, oauth.v2.access), as Slack's Web API does; a GET to "
    "users.setPhoto simply has no image and answers `bad_image`.",
    # Images.
    "Images under 512x512 are accepted and scaled up: Slack calls 512 the minimum but documents "
    "no error for smaller images, so the client, not the emulator, should enforce it.",
    "`too_large` is answered when either side exceeds `max_image_side` (default 8192 px, checked "
    "from the header before decoding); images over 1024 px are otherwise scaled down, as the "
    "tool description says. `too_many_frames` when a GIF has more than `max_frames` (default 100).",
    "A non-square image without a crop box is letterboxed: centred on a square of its longer "
    "side filled with `letterbox_color` (default white), or transparent when the image has alpha.",
    "Renditions are JPEG (quality 90) when the upload is JPEG and PNG otherwise, which keeps "
    "transparency; an animated GIF is rendered from its first frame (Slack shows avatars still), "
    "while image_original serves the uploaded bytes unchanged with their detected content type.",
    "avatar_hash is the first 12 hex digits of SHA-256 over the image bytes and the crop box, so "
    "the same upload cut another way is another photo. Only the current photo's URLs are served; "
    "a replaced photo's URLs answer 404.",
    "The default avatar (before any photo, and after users.deletePhoto) is a coloured square "
    "with the user's initials, drawn by Pillow on first request; its avatar_hash starts with "
    "'g' as Slack's default avatars do, and users.profile.get then shows image_1024 but no "
    "image_original, and is_custom_image false (the users.profile.get example in Slack's OpenAPI "
    "file shows a 'g' hash with image_original and no image_1024: the package decides by "
    "is_custom_image and the hash, and keeps no default avatar's image either way).",
    "With `process_images=False` the upload is neither decoded nor checked against the size "
    "limits, and the crop box only for its syntax (not whether it fits); every image URL "
    "serves the uploaded bytes with the part's declared content type.",
    # Tokens, rate limits and replies.
    "Token kinds come from the prefix alone (ocp_users_photo.token_kinds): without configuration "
    "any user token (`xoxp-`, `xoxe.xoxp-`) the emulator did not issue is a user with "
    "users.profile:read and users.profile:write, and any bot token (`xoxb-`, `xoxe.xoxb-`) a bot "
    "with users.profile:read; the user id is derived from the token. Checks run in Slack's order: "
    "not_authed, token_revoked or token_expired or invalid_auth, not_allowed_token_type (bots on "
    "the write methods), missing_scope.",
    "A person is their user id: photos and profiles are kept by user id, never by token, so a "
    "refreshed or reinstalled token reaches the same person and photo.",
    "The rate limit counts calls per app and method over a sliding 60-second window (Slack "
    "counts per method, workspace and app, so every person of an app shares it; tokens not "
    "issued by an emulator install count as one app), for "
    "users.setPhoto and users.deletePhoto (both Tier 2); users.profile.get is not limited. "
    "Refused calls do not count, so Retry-After (whole seconds, rounded up) is exact. The 429 "
    "also carries `x-slack-failure: ratelimited`.",
    "Success replies are exactly {ok, profile} for setPhoto and {ok} for deletePhoto: no "
    "`warning` or `response_metadata`, which the seed's additionalProperties:false would reject; "
    "the reads (auth.test, users.profile.get) carry no `warning` either (Slack's "
    "superfluous_charset and missing_charset): faults inject one where a test needs it. "
    '`set_photo_reply="bare"` (`--set-photo-reply bare`, PUT /_emulator/set_photo_reply) '
    "answers setPhoto with a bare {ok}, the reply Slack's own examples show; the photo is set "
    "either way, and users.profile.get shows it.",
    "An unknown method under /api/ answers HTTP 404 with `unknown_method`; users.profile.get with "
    "an unknown `user` answers `user_not_found` (one whose token the emulator was given is a "
    "member, asked for before that token is used or not).",
    "A body over `max_body_bytes` (default 64 MiB) answers HTTP 413 with "
    "`request_too_large` without being parsed: an emulator safety limit, not a Slack one.",
    # Faults.
    "A delay fault delays the answer, not the effect: a call whose client gave up during the "
    "delay still sets the photo, as a real server would.",
    "The request log records every request that reaches /api/, /oauth/ or /avatars/ (faulted "
    "ones too, with the fault's label), headers and all, tokens included, in memory only; the "
    "emulator writes no logs of its own and uvicorn's access log is off. The in-process "
    "RequestLog keeps every value; /_emulator/requests lists them with the Authorization, "
    "Proxy-Authorization and Cookie headers reduced to their scheme and the token, "
    "refresh_token, client_secret and code values replaced by [redacted] in form, query and "
    "body, unless the emulator was started with reveal_secrets_in_control_api.",
    "A fault that answers (`status`, `json`, `slack_error` and the others but `raw`, `delay` "
    "and `drop`; the control API lists it with the kind `respond`) and a `raw` fault replace "
    "{authorization} and {token} in their body, header values "
    "and raw bytes with the request's Authorization header and token, as a hostile server "
    "would. A raw, dripped or lying-length fault is written straight onto the connection with "
    "`connection: close` and the connection is then closed.",
    # Host check.
    "A request that arrives on a loopback address must name a loopback Host (localhost, "
    "*.localhost, 127.0.0.0/8, [::1]; a request with no Host is served): any other answers HTTP "
    "421 with `host_not_allowed` before it is recorded, which keeps a web page using DNS "
    "rebinding away from the API and the control API. Names are not resolved.",
    "A control request other than GET that a browser sent for a page of another origin (an "
    "`Origin` other than the emulator's own, or `Sec-Fetch-Site` other than same-origin or "
    "none) answers HTTP 403 `cross_origin_refused` and changes nothing: a page could post it "
    "without a preflight. curl and HTTP libraries send neither header.",
    # OAuth.
    "GET /oauth/v2/authorize approves at once: no sign-in or consent page. The approving person "
    "is the emulator-only `emulator_user` parameter (a Slack-shaped user id), else "
    "`oauth_default_user_id` (U0INSTALLER); `emulator_decision=deny` redirects with "
    "error=access_denied as a person declining would. The redirect keeps the redirect URI's "
    "own query and adds code and state (state only when one was given). There is no PKCE: a "
    "code_challenge is ignored, and oauth.v2.access always wants the client secret (Slack "
    "takes a code_verifier instead); the package's apps have a secret.",
    "An unknown client_id, a redirect_uri that matches none of the app's Redirect URLs, no "
    "scope at all, a scope the app may not have, or a bad emulator_user answer an HTML error "
    "page with HTTP 400 (invalid_client_id, bad_redirect_uri, invalid_scope, "
    "invalid_emulator_user), never a redirect. A redirect_uri matches a Redirect URL when it is "
    "the same or a path below it (same scheme, host and port); an app with no Redirect URLs "
    "configured (the default) takes any http(s) URL on a loopback host, and without a "
    "redirect_uri the app's first Redirect URL is used.",
    "oauth.v2.access takes the client id and secret by HTTP Basic auth (which wins when given) "
    "or as form fields, and checks in this order: invalid_client_id, bad_client_secret, then "
    "the grant. A missing grant_type means authorization_code; any other than "
    "authorization_code or refresh_token answers invalid_grant_type. All errors are HTTP 200.",
    "A code lasts 10 minutes (code_seconds) on the emulator's clock, is bound to its app and "
    "redirect URI, and is spent by the first exchange that names it for its app, even one "
    "that then fails; an unknown, spent, expired or other app's code answers invalid_code. A "
    "redirect_uri given at authorize must be repeated exactly (bad_redirect_uri otherwise); one "
    "given only at the exchange must equal the Redirect URL the code went to. At most 10,000 "
    "codes wait to be exchanged: past that the oldest is forgotten (invalid_code), and an "
    "expired one is forgotten when the next is handed out.",
    "The code exchange answers {ok, app_id, authed_user: {id, scope, access_token, "
    "token_type: user}, team: {id, name}, enterprise (null unless enterprise_id is "
    "configured), is_enterprise_install: false}; with bot scopes also scope, token_type bot, "
    "access_token and bot_user_id at the top level, as Slack does. Without user scopes "
    "authed_user holds only the id. Installs are never org-wide. Each install issues new "
    "tokens; earlier ones keep working.",
    "With token rotation (an app's token_rotation, `--token-rotation`, or PUT "
    "/_emulator/oauth/settings) access tokens are `xoxe.xoxp-1-...`/`xoxe.xoxb-1-...` with "
    "`refresh_token` `xoxe-1-...` and `expires_in` (43200 s by default, Slack's 12 hours), "
    "their bodies shaped like Slack's (base64 of the kind, the workspace's and the person's "
    "numbers, then a random part: a person's tokens share long runs); "
    "past their lifetime every method, auth.test included, answers token_expired.",
    "A refresh (grant_type refresh_token) answers {ok, app_id, scope, access_token, "
    "token_type, refresh_token, expires_in, team, enterprise, is_enterprise_install} (plus "
    "bot_user_id for a bot), for the same person and scopes. Following Slack's rotation guide "
    "the used refresh token is revoked and a new one given; a spent, revoked, unknown or other "
    "app's refresh token answers invalid_refresh_token. The previous access token keeps working "
    "until its own expiry.",
    "The emulator's clock (EmulatorClock; POST /_emulator/clock) decides token and code "
    "expiry only: moving it forward never frees a rate-limit window, which keeps its own "
    "monotonic clock. It never moves back.",
    "auth.test accepts any valid token with no scope needed and answers url (the emulator's "
    "own root, where a short page names its Web API and control API), team (team_name), "
    "user (the display name, else the lower-cased id), team_id and "
    "user_id; bot_id for bot tokens, enterprise_id and is_enterprise_install when an "
    "enterprise is configured, and expires_in (seconds left) for an expiring token. Its "
    "`x-oauth-scopes` header lists the token's scopes, as on every reply of the photo "
    "methods to a known token, errors included, where `x-accepted-oauth-scopes` names the "
    "scope the method takes. An app-level token (`xapp-`) is `invalid_auth` here, where "
    "Slack's auth.test takes it with no scope: the package never sends one (it says what the "
    "token is instead).",
)
