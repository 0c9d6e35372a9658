"""The emulated workspace's people: their profile fields and their current photo."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Final

from ocp_users_photo.emulator.config import EmulatorConfig, UserRecord
from ocp_users_photo.emulator.default_avatar import default_avatar_hash
from ocp_users_photo.emulator.renditions import RenderedPhoto

# Default avatars drawn and kept for serving, the most recently served (about 60 KB each):
# every token is someone, so a run of many tokens would otherwise keep one per person.
DEFAULT_AVATARS_KEPT: Final = 256


@dataclass(frozen=True)
class Photo:
    """A user's current picture: its hash and the images served for it."""

    avatar_hash: str
    images: RenderedPhoto
    is_custom: bool


@dataclass(frozen=True)
class Person:
    """What users.profile.get shows: the record, the custom photo if any, when it changed."""

    record: UserRecord
    photo: Photo | None
    updated: int

    @property
    def avatar_hash(self) -> str:
        return self.photo.avatar_hash if self.photo else default_avatar_hash(self.record.user_id)


class Directory:
    """Users, photos and cached default avatars; safe to use from any thread."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._lock = threading.Lock()
        now = int(time.time())
        self._people: dict[str, Person] = {
            record.user_id: Person(record, None, now) for record in config.users
        }
        self._default_avatars: OrderedDict[str, Photo] = OrderedDict()

    def ensure(self, user_id: str) -> Person:
        """The person with this id, created with a generated name on first sight."""
        with self._lock:
            return self._ensure_locked(user_id)

    def put(self, record: UserRecord) -> Person:
        """Add a user, or replace an existing user's fields (their photo stays)."""
        with self._lock:
            existing = self._people.get(record.user_id)
            photo = existing.photo if existing is not None else None
            person = Person(record, photo, int(time.time()))
            self._people[record.user_id] = person
            return person

    def get(self, user_id: str) -> Person | None:
        with self._lock:
            return self._people.get(user_id)

    def set_photo(self, user_id: str, photo: Photo) -> None:
        self._change(user_id, photo)

    def delete_photo(self, user_id: str) -> None:
        self._change(user_id, None)

    def cached_default_avatar(self, user_id: str) -> Photo | None:
        with self._lock:
            photo = self._default_avatars.get(user_id)
            if photo is not None:
                self._default_avatars.move_to_end(user_id)
            return photo

    def cache_default_avatar(self, user_id: str, photo: Photo) -> None:
        """Keep a drawn default avatar; the least recently served goes past the bound (it
        is drawn again, the same, if asked for again)."""
        with self._lock:
            self._default_avatars[user_id] = photo
            self._default_avatars.move_to_end(user_id)
            while len(self._default_avatars) > DEFAULT_AVATARS_KEPT:
                self._default_avatars.popitem(last=False)

    def _change(self, user_id: str, photo: Photo | None) -> None:
        with self._lock:
            person = self._ensure_locked(user_id)
            self._people[user_id] = replace(person, photo=photo, updated=int(time.time()))

    def _ensure_locked(self, user_id: str) -> Person:
        person = self._people.get(user_id)
        if person is None:
            # Tokens accepted by default belong to people nobody configured.
            name = f"Emulated User {user_id}"
            record = UserRecord(user_id, real_name=name, display_name=user_id.lower())
            person = Person(record, None, int(time.time()))
            self._people[user_id] = person
        return person
