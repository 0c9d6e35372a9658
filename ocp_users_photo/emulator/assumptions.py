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
    "some of them, a value that is not a non-negative decimal integer (e.g. '-1', '1.5', 'abc'), "
    "crop_w 0, or a box not wholly inside the image answers `bad_image`: the method documents "
    "no crop-specific error and a strict answer surfaces client bugs that a lenient one hides.",
    "Crop coordinates refer to the image as a viewer shows it: EXIF orientation is applied first.",
    "Arguments are read from the body and the query string (the body wins); the token from "
    "`Authorization: Bearer` first, then a form field. users.profile.get also takes `token` from "
    "the query string (its spec puts it there); the write methods do not. A JSON body's `token` "
    "is ignored, since Slack requires the header for JSON posts.",
    "A body that is not valid multipart/urlencoded answers `invalid_form_data`; invalid JSON "
    "`invalid_json`; JSON that is not an object `json_not_object`; a content type Slack does not "
    "list (form, multipart, JSON, text/plain) `invalid_post_type` (all HTTP 200, Slack's codes).",
    "GET is accepted like POST for all three methods, as Slack's Web API does; a GET to "
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
    "'g' as Slack's default avatars do, and users.profile.get then shows no image_original and "
    "is_custom_image false.",
    "With `process_images=False` the upload is neither decoded nor checked against the size "
    "limits, and the crop box only for its syntax (not whether it fits); every image URL "
    "serves the uploaded bytes with the part's declared content type.",
    # Tokens, rate limits and replies.
    "Without configuration any `xoxp-` token is a user with users.profile:read and "
    "users.profile:write, and any `xoxb-` token a bot with users.profile:read; the user id is "
    "derived from the token. Checks run in Slack's order: not_authed, token_revoked or "
    "invalid_auth, not_allowed_token_type (bots on the write methods), missing_scope.",
    "The rate limit counts calls per token and method over a sliding 60-second window, for "
    "users.setPhoto and users.deletePhoto (both Tier 2); users.profile.get is not limited. "
    "Refused calls do not count, so Retry-After (whole seconds, rounded up) is exact. The 429 "
    "also carries `x-slack-failure: ratelimited`.",
    "Success replies are exactly {ok, profile} for setPhoto and {ok} for deletePhoto: no "
    "`warning` or `response_metadata`, which the seed's additionalProperties:false would reject.",
    "An unknown method under /api/ answers HTTP 404 with `unknown_method`; users.profile.get with "
    "an unknown `user` answers `user_not_found`.",
    "A body over `max_body_bytes` (default 64 MiB) answers HTTP 413 with "
    "`request_too_large` without being parsed: an emulator safety limit, not a Slack one.",
    # Faults.
    "A delay fault delays the answer, not the effect: a call whose client gave up during the "
    "delay still sets the photo, as a real server would.",
    "The request log records every request that reaches /api/ or /avatars/ (faulted ones too, "
    "with the fault's label), headers and all, tokens included, in memory only; the emulator "
    "writes no logs of its own and uvicorn's access log is off.",
)
