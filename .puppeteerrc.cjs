// Flowsmith drives the system's Chromium (Debian's `chromium`); puppeteer must never download one.
module.exports = { skipDownload: true };
