import logging
import threading

from workbench.log_capture import LogCapture


def test_records_from_many_threads_are_all_captured():
    capture = LogCapture()
    logger = logging.getLogger("test.capture.threads")
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    try:
        threads = [threading.Thread(target=lambda n=n: [logger.info("t%d %d", n, i) for i in range(500)])
                   for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        logger.removeHandler(capture)
    entries = capture.drain()
    assert len(entries) == 2000 and capture.drain() == []
    assert {e.source for e in entries} == {"test.capture.threads"} and entries[0].level_name == "INFO"


def test_overflow_keeps_the_newest_and_counts_the_dropped():
    capture = LogCapture(capacity=10)
    logger = logging.getLogger("test.capture.overflow")
    logger.addHandler(capture)
    try:
        for i in range(25):
            logger.warning("n=%d", i)
    finally:
        logger.removeHandler(capture)
    assert [e.text for e in capture.drain()] == [f"n={i}" for i in range(15, 25)]
    assert capture.dropped == 15


def test_exceptions_keep_their_traceback_text():
    capture = LogCapture()
    logger = logging.getLogger("test.capture.exc")
    logger.addHandler(capture)
    try:
        try:
            raise ValueError("register 40001 out of range")
        except ValueError:
            logger.exception("poll failed")
    finally:
        logger.removeHandler(capture)
    [entry] = capture.drain()
    assert entry.text.startswith("poll failed\nTraceback") and "register 40001 out of range" in entry.text
