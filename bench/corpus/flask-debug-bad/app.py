import os

from flask import Flask

app = Flask(__name__)


@app.get('/health')
def health():
    return {'status': 'ok'}


app.run(host='0.0.0.0', port=int(os.environ.get('PORT', 5000)), debug=True)
