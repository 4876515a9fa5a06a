"""Small synthetic labelled listings for the text model's tests: EMSCAD-like CSV and JSON
lines, written by the test itself (no real data in the repository).

Flag-worthy rows draw more of their words from a scam vocabulary, other rows from an
ordinary one, and both share filler words, so the classes overlap: a model separates them
well, never trivially. Seeds make every file reproducible.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

SCAM = [
    "fee",
    "upfront",
    "passport",
    "visa",
    "guaranteed",
    "income",
    "wire",
    "transfer",
    "whatsapp",
    "urgent",
    "no",
    "experience",
    "weekly",
    "cash",
    "easy",
    "money",
    "abroad",
    "housing",
    "provided",
    "deposit",
    "training",
    "kit",
]
ORDINARY = [
    "pension",
    "team",
    "engineer",
    "contract",
    "benefits",
    "office",
    "manager",
    "experience",
    "degree",
    "salary",
    "holidays",
    "colleagues",
    "customers",
    "software",
    "analyst",
    "healthcare",
    "insurance",
]
FILLER = [
    "we",
    "are",
    "looking",
    "for",
    "a",
    "motivated",
    "person",
    "to",
    "join",
    "our",
    "company",
    "the",
    "role",
    "includes",
    "work",
    "with",
    "people",
    "every",
    "day",
    "please",
    "apply",
    "today",
]
COLUMNS = [
    "source",
    "source_row",
    "job_id",
    "title",
    "location",
    "department",
    "salary_range",
    "company_profile",
    "description",
    "requirements",
    "benefits",
    "telecommuting",
    "has_company_logo",
    "has_questions",
    "employment_type",
    "required_experience",
    "required_education",
    "industry",
    "function",
    "fraudulent",
    "in_balanced_dataset",
]


def listing(rng: random.Random, label: int, words: int = 40) -> str:
    own, other = (SCAM, ORDINARY) if label else (ORDINARY, SCAM)
    out = []
    for _ in range(words):
        r = rng.random()
        pool = own if r < 0.35 else other if r < 0.45 else FILLER
        out.append(rng.choice(pool))
    return " ".join(out)


def emscad_rows(n: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = int(i % 2 == 0)
        rows.append(
            {
                "source": "synthetic",
                "source_row": str(i),
                "job_id": f"s{seed}-{i}",
                "title": rng.choice(["Assistant", "Driver", "Analyst", "Clerk"]) + f" {i}",
                "location": "New York",
                "department": "",
                "salary_range": "" if rng.random() < 0.7 else "30000-40000",
                "company_profile": "" if label and rng.random() < 0.6 else listing(rng, 0, 8),
                "description": listing(rng, label),
                "requirements": listing(rng, label, 12),
                "benefits": listing(rng, label, 6),
                "telecommuting": str(int(rng.random() < 0.1)),
                "has_company_logo": str(int(rng.random() < (0.4 if label else 0.8))),
                "has_questions": str(int(rng.random() < 0.5)),
                "employment_type": rng.choice(["Full-time", "Part-time", ""]),
                "required_experience": rng.choice(["Entry level", "Mid-Senior level", ""]),
                "required_education": rng.choice(["Bachelor's Degree", ""]),
                "industry": rng.choice(["Staffing", "Oil & Energy", "Retail"]),
                "function": rng.choice(["Sales", "Other", ""]),
                "fraudulent": str(label),
                "in_balanced_dataset": "",
            }
        )
    return rows


def write_emscad(path: Path, n: int = 120, seed: int = 1) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(emscad_rows(n, seed))
    return path


def write_jsonl(path: Path, n: int = 80, seed: int = 2) -> Path:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            label = int(i % 2 == 0)
            item = {"id": f"j{i}", "text": listing(rng, label), "label": label}
            if i % 3 == 0:
                item["language"] = "en"
            fh.write(json.dumps(item) + "\n")
    return path
