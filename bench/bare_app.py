"""A bare Flask app on the same gunicorn settings: the baseline public pages are compared with."""
from flask import Flask

app = Flask(__name__)


@app.route("/ko/")
def home():
    return "<!doctype html><html lang=ko><title>bare</title><p>안녕하세요</p></html>"
