import os

from flask import Flask

app = Flask(__name__)


@app.get('/health')
def health():
    return {'status': 'ok'}


if __name__ == '__main__':
    app.run(debug=os.environ.get('FLASK_DEBUG') == '1')
