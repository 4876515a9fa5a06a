"""Throughput of nlp.normalise, nlp.language and nlp.extract on generated listings.

Prints texts per second on one core for 20,000 generated ~80-word listings in mixed
languages (some with obfuscated phones, handles, prices and ages). Figures only: nothing is
asserted, timings vary 30-40 % between runs.

    python benchmarks/bench_normalise_extract.py [--n 20000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlp.extract import extract
from nlp.language import detect_language
from nlp.normalise import normalise

VOCABULARY = {
    "da": "vi søger en ny medarbejder til vores butik i københavn og du skal have lyst til at "
    "arbejde med kunder det er et fuldtidsjob med god løn og gode kolleger ring eller skriv "
    "hvis du er interesseret i stillingen som starter hurtigst muligt",
    "en": "we are looking for a new team member to join our shop in the city you will work "
    "with customers and have good colleagues the job is full time with a good salary call or "
    "write if you are interested in the position which starts as soon as possible",
    "ro": "căutăm un nou coleg pentru magazinul nostru din oraș vei lucra cu clienții și vei "
    "avea colegi buni postul este cu normă întreagă și salariu bun sună sau scrie dacă ești "
    "interesat de acest post care începe cât mai curând",
    "pl": "szukamy nowego pracownika do naszego sklepu w mieście będziesz pracować z klientami "
    "i mieć dobrych kolegów praca na pełen etat z dobrym wynagrodzeniem zadzwoń lub napisz "
    "jeśli jesteś zainteresowany stanowiskiem które zaczyna się jak najszybciej",
    "bg": "търсим нов служител за нашия магазин в града ще работите с клиенти и ще имате "
    "добри колеги работата е на пълен работен ден с добра заплата обадете се или пишете ако "
    "се интересувате от позицията която започва възможно най-скоро",
    "uk": "шукаємо нового працівника до нашого магазину в місті ви будете працювати з "
    "клієнтами і матимете хороших колег робота на повний день з гарною зарплатою телефонуйте "
    "або пишіть якщо вас цікавить ця посада яка починається якнайшвидше",
    "es": "buscamos un nuevo empleado para nuestra tienda en la ciudad trabajarás con clientes "
    "y tendrás buenos compañeros el trabajo es a tiempo completo con buen sueldo llama o "
    "escribe si te interesa el puesto que empieza lo antes posible",
}
EXTRAS = [
    "Ring 20 55 12 34",
    "WhatsApp: +45 two 0 five 5 1 2 3 4",
    "Telegram @anna_dk",
    "løn 1.500,00 kr",
    "200 EUR pr dag",
    "22 years old",
    "y0ung n3w girls",
    "w h a t s a p p",
    "mail anna (at) gmail (dot) com",
    "🔥🔥 hot 🔥",
    "see jobs.dk/apply",
]


def make_listings(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    words = {lang: text.split() for lang, text in VOCABULARY.items()}
    langs = list(words)
    listings = []
    for _ in range(n):
        vocab = words[rng.choice(langs)]
        body = [rng.choice(vocab) for _ in range(rng.randint(70, 85))]
        for _ in range(rng.randint(0, 2)):
            body.insert(rng.randrange(len(body)), rng.choice(EXTRAS))
        listings.append(" ".join(body))
    return listings


def rate(fn, texts: list[str]) -> float:
    start = time.perf_counter()
    for text in texts:
        fn(text)
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    args = parser.parse_args()
    texts = make_listings(args.n)
    plain = [t for t in texts if not any(ch.isdigit() for ch in t)]
    detect_language(texts[0])  # load langdetect profiles outside the timing
    extract(texts[0])
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"{len(texts)} listings, {words:.0f} words on average, one core")
    print(f"normalise        {rate(normalise, texts):10,.0f} texts/s")
    print(f"detect_language  {rate(detect_language, texts):10,.0f} texts/s")
    print(f"extract (all)    {rate(extract, texts):10,.0f} texts/s")
    print(f"extract (no digits, {len(plain)} texts) {rate(extract, plain):10,.0f} texts/s")


if __name__ == "__main__":
    main()
