"""The watch_backward page in a real browser: headless Chromium opens the saved file from
file://, steps through it with every control, and checks at each step the highlighted op and
the numbers shown against the engine's own gradients."""

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
import nn
from autodiff.listing import format_values

webdriver = pytest.importorskip(
    "selenium.webdriver", reason="needs the selenium package (pip install selenium)"
)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

CHROMIUM = next(
    (shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None
)
DRIVER = shutil.which("chromedriver") or (
    "/usr/lib/chromium/chromedriver" if Path("/usr/lib/chromium/chromedriver").exists() else None
)

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None or DRIVER is None,
        reason="needs Chromium and its driver: apt-get install chromium chromium-driver",
    ),
    pytest.mark.skipif(
        sys.version_info < (3, 11) and shutil.which("dot") is None,
        reason="drawing the graph needs Graphviz's dot, or Python 3.11+ for the in-process one",
    ),
]


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module, with a profile of its own and no network use."""
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="watch-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def neuron():
    """micrograd's neuron: o = tanh(x1·w1 + x2·w2 + b), x1 and x2 constants."""
    x1 = ad.Tensor(np.float64(2.0), name="x1")
    x2 = ad.Tensor(np.float64(0.0), name="x2")
    w1 = ad.Tensor(np.float64(-3.0), requires_grad=True, name="w1")
    w2 = ad.Tensor(np.float64(1.0), requires_grad=True, name="w2")
    b = ad.Tensor(np.float64(6.8813735870195432), requires_grad=True, name="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.name = "o"
    return o, {"w1": w1, "w2": w2, "b": b}


def counter(driver) -> str:
    return driver.find_element(By.ID, "counter").text


def current_op(driver) -> str:
    """The text of the op node highlighted in the picture."""
    (node,) = driver.find_elements(By.CSS_SELECTOR, "#graph g.node.current")
    return node.find_element(By.TAG_NAME, "text").text


def node_grad(driver, title: str) -> str:
    """The gradient field of the value node whose id (its SVG title) is `title`."""
    return driver.execute_script(
        "var t = Array.from(document.querySelectorAll('#graph g.node')).find("
        "  g => g.querySelector('title').textContent === arguments[0]);"
        "var f = t.querySelector('text.gradtext'); return f ? f.textContent : null;",
        title,
    )


def grad_of(driver, name: str) -> str | None:
    """The gradient field of the value node whose first line is `name`."""
    return driver.execute_script(
        "var t = Array.from(document.querySelectorAll('#graph g.node')).find("
        "  g => g.querySelector('text') && g.querySelector('text').textContent === arguments[0]);"
        "var f = t && t.querySelector('text.gradtext'); return f ? f.textContent : null;",
        name,
    )


def legend(driver) -> str:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#graph svg > g > text'))"
        ".map(t => t.textContent).join(' ')"
    )


def shown_sends(driver) -> list[tuple[str, float | None]]:
    """(name, the scalar shown) of each input in the panel (None where it gets no gradient)."""
    sends = []
    for box in driver.find_elements(By.CSS_SELECTOR, "#sent .send"):
        name = box.find_element(By.CLASS_NAME, "name").text
        scalars = box.find_elements(By.CLASS_NAME, "scalar")
        sends.append((name, float(scalars[0].text) if scalars else None))
    return sends


def test_stepping_through_micrograds_neuron_shows_the_engines_gradients(browser, tmp_path):
    o, leaves = neuron()
    path = ad.watch_backward(o).save(tmp_path / "neuron.html")
    twin, _ = neuron()
    with ad.trace_backward(quiet=True) as trace:  # the engine's own record of the same pass
        twin.backward()
    browser.get(path.as_uri())
    steps = len(trace.steps)
    assert counter(browser) == f"step 0 of {steps}"
    assert browser.find_elements(By.CSS_SELECTOR, "#graph g.node.current") == []
    assert node_grad(browser, "v1") == "grad: no backward yet"  # w1 before backward
    assert "no backward yet" in legend(browser)
    assert float(browser.find_element(By.CSS_SELECTOR, "#g .scalar").text) == 1.0  # the seed
    for k, traced in enumerate(trace.steps, start=1):
        browser.find_element(By.ID, "next").click()
        assert counter(browser) == f"step {k} of {steps}"
        assert browser.execute_script("return location.hash") == f"#step={k}"
        assert current_op(browser) == traced.op
        assert browser.find_element(By.ID, "call").text == traced.call
        assert float(browser.find_element(By.CSS_SELECTOR, "#g .scalar").text) == traced.g.item()
        expected = [(s.name, None if s.grad is None else s.grad.item()) for s in traced.sent]
        assert shown_sends(browser) == expected
        labels = browser.find_elements(By.CSS_SELECTOR, "#graph g.edge.sent .glabel")
        assert len(labels) == sum(s.grad is not None for s in traced.sent)
        (reached,) = browser.find_elements(By.CSS_SELECTOR, "#graph g.edge.reached .glabel")
        assert reached.text == format_values(traced.g)
        for sent in traced.sent:  # each value here is used once: complete as soon as it is sent
            if sent.grad is not None:
                assert grad_of(browser, sent.name) == f"grad {format_values(sent.grad)}"
        assert f"backward, step {k} of {steps}" in legend(browser)
    for title, name in (("v1", "w1"), ("v4", "w2"), ("v7", "b")):  # complete at the end
        assert node_grad(browser, title) == f"grad {format_values(leaves[name].grad.numpy())}"
    browser.find_element(By.ID, "next").click()  # past the last step: stays there
    assert counter(browser) == f"step {steps} of {steps}"


def test_the_rule_of_each_op_is_shown(browser, tmp_path):
    o, _ = neuron()
    path = ad.watch_backward(o).save(tmp_path / "neuron.html")
    browser.get(path.as_uri() + "#step=1")
    assert current_op(browser) == "tanh"
    assert browser.find_element(By.ID, "rule-symbols").text == "d/dx tanh(x) = 1 − tanh²(x)"
    assert "tanh" in browser.find_element(By.ID, "rule-words").text


def test_controls_keys_slider_and_the_url_fragment_move_between_steps(browser, tmp_path):
    o, _ = neuron()
    path = ad.watch_backward(o).save(tmp_path / "neuron.html")
    browser.get(path.as_uri() + "#step=3")  # a step can be linked
    assert counter(browser) == "step 3 of 5"
    browser.find_element(By.ID, "prev").click()
    assert counter(browser) == "step 2 of 5"
    browser.find_element(By.ID, "last").click()
    assert counter(browser) == "step 5 of 5"
    browser.find_element(By.ID, "first").click()
    assert counter(browser) == "step 0 of 5"
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert counter(browser) == "step 2 of 5"
    body.send_keys(Keys.ARROW_LEFT)
    assert counter(browser) == "step 1 of 5"
    body.send_keys(Keys.END)
    assert counter(browser) == "step 5 of 5"
    slider = browser.find_element(By.ID, "slider")
    browser.execute_script(
        "arguments[0].value = '4'; arguments[0].dispatchEvent(new Event('input'))", slider
    )
    assert counter(browser) == "step 4 of 5"
    assert browser.execute_script("return location.hash") == "#step=4"
    browser.execute_script("location.hash = '#step=2'")  # a changed fragment moves the page
    deadline = time.monotonic() + 5
    while counter(browser) != "step 2 of 5" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert counter(browser) == "step 2 of 5"


def test_play_advances_by_itself_and_pause_stops_it(browser, tmp_path):
    o, _ = neuron()
    # steps long enough that a loaded machine still pauses before play reaches the end
    path = ad.watch_backward(o, seconds_per_step=0.4).save(tmp_path / "neuron.html")
    browser.get(path.as_uri() + "#step=0")
    play = browser.find_element(By.ID, "play")
    play.click()
    deadline = time.monotonic() + 5
    while counter(browser) == "step 0 of 5" and time.monotonic() < deadline:
        time.sleep(0.05)
    play.click()  # pause
    paused = counter(browser)
    assert paused != "step 0 of 5"
    time.sleep(1.0)  # longer than two steps of play
    assert counter(browser) == paused
    assert "play" in play.text
    play.click()  # plays on to the last step, and stops there
    deadline = time.monotonic() + 5
    while counter(browser) != "step 5 of 5" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert counter(browser) == "step 5 of 5"
    time.sleep(0.2)
    assert "play" in play.text


def test_a_value_used_twice_accumulates_visibly(browser, tmp_path):
    a = ad.Tensor(np.float64(3.0), requires_grad=True, name="a")
    loss = a * a + a  # a gets three contributions: 3 and 3 from the product, 1 from the sum
    loss.name = "loss"
    path = ad.watch_backward(loss).save(tmp_path / "twice.html")
    browser.get(path.as_uri())
    seen = []
    for _ in range(2):
        browser.find_element(By.ID, "next").click()
        seen.append(node_grad(browser, "v0"))
    assert seen[-1] == f"grad {format_values(a.grad.numpy())}"  # 7, complete
    assert any("of 3)" in text for text in seen[:-1])  # a partial sum on the way
    contributions = browser.find_elements(By.CSS_SELECTOR, "#sent .of")
    assert contributions and "of 3" in contributions[-1].text


def test_tensors_show_shape_statistics_and_a_heat_map(browser, tmp_path):
    x = ad.Tensor(np.random.default_rng(0).standard_normal((6, 5)), requires_grad=True, name="x")
    loss = (x.tanh() * 3.0).sum()
    path = ad.watch_backward(loss).save(tmp_path / "tensor.html")
    browser.get(path.as_uri())
    browser.find_element(By.ID, "last").click()
    assert current_op(browser) == "tanh"
    (box,) = browser.find_elements(By.CSS_SELECTOR, "#sent .send")
    assert box.find_element(By.CLASS_NAME, "shape").text == "(6, 5)"
    mean = box.find_element(By.CSS_SELECTOR, ".stats .mean").text.split()[1]
    assert float(mean) == pytest.approx(x.grad.numpy().mean(), rel=1e-5)
    heat = box.find_element(By.CSS_SELECTOR, "canvas.heat")
    assert heat.get_attribute("width") == str(5 * int(heat.get_attribute("height")) // 6)


def test_an_mlp_collapses_and_expands_its_module_boxes(browser, tmp_path):
    nn.manual_seed(0)
    model = nn.MLP([3, 4, 2])
    x = ad.Tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    loss = nn.functional.cross_entropy(model(x), np.array([0, 1, 1, 0, 1]))
    path = ad.watch_backward(loss).save(tmp_path / "mlp.html")
    browser.get(path.as_uri() + "#step=2")
    expanded_op = current_op(browser)
    view = browser.find_element(By.ID, "view")
    assert view.text == "collapse modules"
    view.click()
    assert view.text == "expand modules"
    assert counter(browser).startswith("step 2 of")
    (box,) = browser.find_elements(By.CSS_SELECTOR, "#graph g.node.current")
    assert box.find_element(By.TAG_NAME, "title").get_attribute("textContent").startswith("m")
    assert current_op(browser).startswith("Linear(")  # the op's module call, as one box
    titles = browser.execute_script(
        "return Array.from(document.querySelectorAll('#graph g.node title'))"
        ".map(t => t.textContent)"
    )
    assert any(t.startswith("m") for t in titles)
    view.click()
    assert current_op(browser) == expanded_op
    view.click()  # collapsed again; a click on a module's box opens the picture expanded
    browser.find_element(By.CSS_SELECTOR, "#graph g.node.module").click()
    assert view.text == "collapse modules"
    assert current_op(browser) == expanded_op


def test_a_large_graph_says_so_and_opens_collapsed(browser, tmp_path):
    nn.manual_seed(0)
    model = nn.MLP([3, 4, 2])
    x = ad.Tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    loss = nn.functional.cross_entropy(model(x), np.array([0, 1, 1, 0, 1]))
    path = ad.watch_backward(loss, large=5).save(tmp_path / "large.html")
    browser.get(path.as_uri())
    assert "each module call is shown as one box" in browser.find_element(By.ID, "note").text
    assert not browser.find_element(By.ID, "view").is_displayed()


def test_the_page_works_inline_in_a_frame_as_jupyter_shows_it(browser, tmp_path):
    o, _ = neuron()
    host = tmp_path / "notebook.html"
    host.write_text(
        f"<!DOCTYPE html><html><body>{ad.watch_backward(o)._repr_html_()}</body></html>"
    )
    browser.get(host.as_uri())
    browser.switch_to.frame(browser.find_element(By.TAG_NAME, "iframe"))
    try:
        assert counter(browser) == "step 0 of 5"
        browser.find_element(By.ID, "next").click()
        assert counter(browser) == "step 1 of 5"
        assert current_op(browser) == "tanh"
    finally:
        browser.switch_to.default_content()


def test_a_combined_page_chooses_its_graph(browser, tmp_path):
    o, _ = neuron()
    a = ad.Tensor(np.float64(2.0), requires_grad=True, name="a")
    page = ad.BackwardWatch.combine(
        [ad.watch_backward(o, title="neuron"), ad.watch_backward(a * a, title="square")], "both"
    )
    path = page.save(tmp_path / "both.html")
    browser.get(path.as_uri() + "#graph=2&step=1")
    assert counter(browser) == "step 1 of 1"
    assert current_op(browser) == "mul"
    assert float(browser.find_element(By.CSS_SELECTOR, "#sent .scalar").text) == 2.0


def celsius_loss():
    """The Celsius → Fahrenheit neuron's loss at its first step, as the example builds it."""
    w = ad.Tensor(np.float32(0.63), requires_grad=True, name="w")
    b = ad.Tensor(np.float32(-0.4), requires_grad=True, name="b")
    celsius = np.arange(-50, 50, dtype=np.float32)
    scaled = ad.Tensor(celsius / 50, name="celsius / 50")
    error = w * scaled + b - ad.Tensor(celsius * 9 / 5 + 32, name="fahrenheit")
    error.name = "error"
    loss = (error * error).mean()
    loss.name = "loss"
    return loss, w, b


def test_the_celsius_neurons_first_step_shows_the_engines_gradients(browser, tmp_path):
    loss, w, b = celsius_loss()
    path = ad.watch_backward(loss).save(tmp_path / "celsius.html")
    twin, _, _ = celsius_loss()
    with ad.trace_backward(quiet=True) as trace:
        twin.backward()
    browser.get(path.as_uri())
    for traced in trace.steps:
        browser.find_element(By.ID, "next").click()
        assert current_op(browser) == traced.op
        g = browser.find_element(By.ID, "g")
        if traced.g.ndim == 0:
            shown = g.find_element(By.CLASS_NAME, "scalar").text  # in full, as float32 writes it
            assert np.float32(shown) == traced.g
        else:
            assert g.find_element(By.CLASS_NAME, "shape").text == f"({traced.g.shape[0]},)"
            norm = g.find_element(By.CSS_SELECTOR, ".stats .norm").text.split()[1]
            assert float(norm) == pytest.approx(np.linalg.norm(traced.g), rel=1e-5)
    assert grad_of(browser, "w") == f"grad {format_values(w.grad.numpy())}"
    assert grad_of(browser, "b") == f"grad {format_values(b.grad.numpy())}"
    shown = [np.float32(s.text) for s in browser.find_elements(By.CSS_SELECTOR, "#sent .scalar")]
    assert shown == [w.grad.numpy()]  # the last VJP, mul(w, celsius / 50), sends to w alone
