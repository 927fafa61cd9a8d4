"""Account business logic: create users, check passwords, open and close sessions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.auth.models import User, UserSession
from backend.core.config import get_settings
from backend.core.db import utcnow
from backend.core.errors import Conflict, InvalidInput, NotAuthenticated
from backend.core.security import hash_password, new_token, token_hash, verify_password


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > 320:
        raise InvalidInput("Enter a valid email address.", field="email")
    return email


def get_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(
    session: Session, email: str, password: str, name: str = "", *, superuser: bool = False
) -> User:
    email = normalize_email(email)
    if len(password) < 8:
        raise InvalidInput("Password must be at least 8 characters.", field="password")
    if get_by_email(session, email):
        raise Conflict(f"An account for {email} already exists.", details={"field": "email"})
    user = User(email=email, name=name.strip(), password_hash=hash_password(password), is_superuser=superuser)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    # Same message for unknown email and wrong password: do not reveal which accounts exist.
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        raise NotAuthenticated("Wrong email or password.")
    return user


def open_session(session: Session, user: User) -> str:
    token = new_token("mfs_")
    expires = utcnow() + timedelta(days=get_settings().session_days)
    session.add(UserSession(user_id=user.id, token_hash=token_hash(token), expires_at=expires))
    session.flush()
    return token


def user_for_session(session: Session, token: str) -> User | None:
    row = session.scalar(select(UserSession).where(UserSession.token_hash == token_hash(token)))
    if row is None or row.expires_at < utcnow():
        return None
    user = session.get(User, row.user_id)
    return user if user and user.is_active else None


def close_session(session: Session, token: str) -> None:
    session.execute(delete(UserSession).where(UserSession.token_hash == token_hash(token)))
