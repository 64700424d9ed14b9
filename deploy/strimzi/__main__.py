"""`python -m deploy.strimzi`: writes deploy/k8s/kafka/ from the topic definitions."""

from __future__ import annotations

from deploy.strimzi.resources import rendered


def main() -> None:
    for path, text in rendered().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
