// Dash 4's dcc.Dropdown keeps a hidden focus target (aria-hidden, yet in the tab order: axe's
// aria-hidden-focus). Its own button stays focusable and opens the list from the keyboard, so
// the hidden target leaves the tab order.
(function () {
    function fix(root) {
        root.querySelectorAll('.dash-dropdown-focus-target[aria-hidden="true"]').forEach(
            function (el) { if (el.tabIndex !== -1) { el.tabIndex = -1; } });
    }
    new MutationObserver(function () { fix(document); })
        .observe(document.documentElement, {childList: true, subtree: true, attributes: true,
                                           attributeFilter: ["tabindex"]});
})();
