"""The library's own tests: an ordinary Django suite, unchanged from the sync project on."""

import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.test import TestCase, override_settings

from library.models import Author, Book, Review


class RatesHandler(BaseHTTPRequestHandler):
    """The exchange-rate service: ``/latest/eur`` knows a rate, other currencies are 404."""

    def do_GET(self) -> None:
        known = self.path == "/latest/eur"
        body = json.dumps({"rate": 1.1} if known else {"error": "unknown"}).encode()
        self.send_response(200 if known else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


class LibraryTests(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rates = ThreadingHTTPServer(("127.0.0.1", 0), RatesHandler)
        threading.Thread(target=cls.rates.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.rates.server_close)
        cls.addClassCleanup(cls.rates.shutdown)

    @classmethod
    def setUpTestData(cls):
        herbert = Author.objects.create(name="Frank Herbert")
        le_guin = Author.objects.create(name="Ursula K. Le Guin")
        cls.dune = Book.objects.create(author=herbert, title="Dune", price=Decimal("12.50"))
        Book.objects.create(author=le_guin, title="Earthsea", price=Decimal("9.00"))
        Review.objects.create(book=cls.dune, reader="ada", stars=5)

    def test_book_list(self):
        response = self.client.get("/")
        self.assertTemplateUsed(response, "library/book_list.html")
        self.assertContains(response, "Dune by Frank Herbert: 12.50")
        self.assertContains(response, "Earthsea by Ursula K. Le Guin: 9.00")

    def test_book_detail_lists_its_reviews(self):
        response = self.client.get(f"/books/{self.dune.pk}/")
        self.assertContains(response, "Dune by Frank Herbert, 0 review(s).")
        self.assertContains(response, "ada: 5/5")

    def test_unknown_book_is_a_404(self):
        self.assertEqual(self.client.get("/books/999/").status_code, 404)

    def test_review_form(self):
        response = self.client.get(f"/books/{self.dune.pk}/review/")
        self.assertContains(response, "<h1>Review Dune</h1>")
        self.assertContains(response, 'name="stars"')

    def test_a_review_is_saved_and_counted(self):
        response = self.client.post(
            f"/books/{self.dune.pk}/review/", {"reader": "grace", "stars": 4, "text": "Sand."}
        )
        self.assertRedirects(response, f"/books/{self.dune.pk}/")
        self.dune.refresh_from_db()
        self.assertEqual(self.dune.review_count, 1)
        self.assertEqual(self.dune.reviews.get(reader="grace").stars, 4)

    def test_an_invalid_review_shows_the_form_again(self):
        response = self.client.post(f"/books/{self.dune.pk}/review/", {"reader": "x", "stars": 9})
        self.assertContains(response, "from 1 to 5 stars")
        self.assertEqual(Review.objects.count(), 1)

    def test_price_in_another_currency(self):
        with override_settings(RATES_URL=f"http://127.0.0.1:{self.rates.server_port}"):
            response = self.client.get(f"/books/{self.dune.pk}/price/eur/")
        self.assertEqual(response.json(), {"price": "13.75"})

    def test_an_unknown_currency_is_a_502(self):
        with override_settings(RATES_URL=f"http://127.0.0.1:{self.rates.server_port}"):
            response = self.client.get(f"/books/{self.dune.pk}/price/xyz/")
        self.assertEqual(response.status_code, 502)
        self.assertEqual(response.json(), {"error": "no rate for xyz"})

    def test_stats(self):
        self.assertEqual(self.client.get("/stats/").json(), {"books": 2, "authors": 2})

    def test_author_list(self):
        response = self.client.get("/authors/")
        self.assertContains(response, "Frank Herbert;Ursula K. Le Guin;")
