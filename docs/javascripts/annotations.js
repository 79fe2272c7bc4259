// Material draws each code annotation's marker as a link without text, which screen readers
// announce as an unnamed link (axe: link-name). Name each marker after its annotation.
const nameAnnotations = () => {
  for (const link of document.querySelectorAll(".md-annotation__index:not([aria-label])")) {
    const id = link.querySelector("[data-md-annotation-id]")?.dataset.mdAnnotationId;
    link.setAttribute("aria-label", id ? `Annotation ${id}` : "Annotation");
  }
};
new MutationObserver(nameAnnotations).observe(document.body, { childList: true, subtree: true });
nameAnnotations();
