// Written next; see pages/index.js.
export default [];
